"""The payment events consumer: SQS batches in, each event settled, partial batch failures out.

Powertools' `BatchProcessor` runs every record of a batch and reports the ones that failed
(`batchItemFailures`): those alone come back after the visibility timeout, and after
`maxReceiveCount` receives SQS moves them to the dead-letter queue, while the rest of
their batch is deleted. (On AWS this needs `ReportBatchItemFailures` on the event source
mapping, which Chalice cannot set: the deploy template adds it. dev.pump honours it.)

Exactly-once effects do not rest on the SQS message id: settlement is idempotent on the
provider's event id and on the payment and refund ids (see chalicelib.rebates.settlement).

The queue name is read from PAYMENT_EVENTS_QUEUE at import, unlike every other setting,
because Chalice needs it when it builds the event source mapping (`chalice package`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.clock import utcnow
from chalicelib.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from chalice.app import SQSEvent

QUEUE = os.environ.get("PAYMENT_EVENTS_QUEUE") or "mall-dev-payment-events"
BATCH_SIZE = 10

bp = Blueprint(__name__)


def handle_record(record: SQSRecord) -> None:
    """Settle one event; any exception marks this record (only) as failed."""
    from chalicelib.payments.models import PaymentEvent  # only the consumer function loads these
    from chalicelib.rebates import settlement

    try:
        event = PaymentEvent.model_validate_json(record.body)
        settlement.process(event, utcnow())
    except settlement.NotReady as exc:
        logger.info("payment event not ready; it will be retried", extra={"message_id": record.message_id,
                                                                           "reason": str(exc)})
        raise
    except Exception:
        logger.exception("payment event failed", extra={"message_id": record.message_id,
                                                        "receive_count": record.attributes.approximate_receive_count})
        raise


@bp.on_sqs_message(queue=QUEUE, batch_size=BATCH_SIZE)
def payment_events(event: SQSEvent) -> PartialItemFailureResponse:
    # Imported here: ~100 ms at import that the API function, which loads this module too,
    # must not pay. A processor per invocation: it keeps the batch's results, so it must not
    # be shared by concurrent invocations in one process (the local pump, tests).
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(
        event=event.to_dict(), record_handler=handle_record, processor=processor,
        context=event.context,  # type: ignore[arg-type]  # chalice types the LambdaContext as a dict
    )
