"""Local development stack: a serialized moto server, the resource bootstrap, the event
pump that stands in for Lambda's SQS and schedule triggers, and `make run` (dev.stack).

Nothing here is deployed; the Lambda package contains only app.py and chalicelib/.
"""
