"""`make package`: the deployable artifact, `dist/sam.json` + `dist/deployment.zip`.

Two passes of `chalice package`: the first shows which functions Chalice generates
(the REST API handler, one per SQS handler, one per schedule); from it and from
`infra/resources.json` this builds a merge template, and the second pass merges it:

- the tables and queues of `infra/resources.json`, named from the stage's environment
  variables (the same names the local stack gives them), tables retained on delete;
- least-privilege IAM: a role per kind of function (API, SQS consumer, scheduled job),
  each allowed only the DynamoDB actions on the service's tables and indexes, the SQS
  actions on the queues, and the SSM parameters under `/mall/<stage>/` that it uses; no
  wildcard actions, no `*` data resources; and denied UpdateItem, DeleteItem and
  BatchWriteItem on audit entries (partition keys beginning `AUDIT#`: docs/compliance.md);
- `ReportBatchItemFailures` on every SQS event source (Chalice has no setting for it), so
  Lambda honours the `batchItemFailures` our consumers return;
- timeouts (the queue's visibility timeout must be at least 6x its consumer's);
- API Gateway's own answers (unknown route, throttling) in API.md's error shape; a request
  for no route or for a method no route serves (MISSING_AUTHENTICATION_TOKEN, and
  INVALID_SIGNATURE when it carries an Authorization header) is 404 with the body that
  `dev/local_gateway.py` gives locally.

Then every module in the zip gets its compiled bytecode (see `byte_compile`), and cfn-lint
checks the template. Needs only PyPI (for the Lambda's wheels), no AWS account.
"""

from __future__ import annotations

import argparse
import compileall
import copy
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from py_compile import PycInvalidationMode
from typing import Any

from chalicelib.audit import keys as audit_keys
from chalicelib.errors import NO_SUCH_ROUTE, error_body

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "infra" / "resources.json"
CONFIG = ROOT / ".chalice" / "config.json"
NAME_ENV = "mall:name-env"
SENDERS = "mall:senders"  # a queue's Metadata: the kinds of function that send to it
TABLE, QUEUE, FUNCTION = "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Serverless::Function"
_CHALICE_CLI = "import sys; sys.argv[0] = 'chalice'; from chalice.cli import main; sys.exit(main())"

# Seconds. SQS visibility timeouts in resources.json are checked against CONSUMER_TIMEOUT.
TIMEOUTS = {"api": 15, "consumer": 30, "scheduler": 300}
MEMORY_MB = 512

# What each kind of function does with DynamoDB and SQS (grep `dynamo.` and `sqs` to check).
TABLE_ACTIONS = {
    "api": ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem",
            "BatchWriteItem", "ConditionCheckItem"],
    "consumer": ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem",
                 "ConditionCheckItem"],
    "scheduler": ["GetItem", "PutItem", "UpdateItem", "Query", "BatchGetItem", "ConditionCheckItem"],
}
# The audit trail is append-only: no function may change or delete an entry (chalicelib/audit/keys.py).
# IAM checks each item of a TransactWriteItems as its own action, so this holds inside transactions too.
AUDIT_DENIED = ["UpdateItem", "DeleteItem", "BatchWriteItem"]
QUEUE_SEND = ["sqs:SendMessage", "sqs:GetQueueUrl"]
QUEUE_CONSUME = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                 "sqs:GetQueueAttributes"]


def stage_environment(stage: str) -> dict[str, str]:
    config = json.loads(CONFIG.read_text())
    if stage not in config.get("stages", {}):
        raise SystemExit(f"no stage {stage!r} in .chalice/config.json")
    return {**config.get("environment_variables", {}),
            **config["stages"][stage].get("environment_variables", {})}


def function_kind(function: dict[str, Any]) -> str:
    events = function["Properties"].get("Events", {}).values()
    types = {event["Type"] for event in events}
    if "SQS" in types:
        return "consumer"
    if "Schedule" in types:
        return "scheduler"
    return "api"


def _queue_names(resources: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    return {env[r["Metadata"][NAME_ENV]]: logical for logical, r in resources.items() if r["Type"] == QUEUE}


def _consumed_queue(function: dict[str, Any], names: dict[str, str]) -> str:
    for event in function["Properties"].get("Events", {}).values():
        if event["Type"] == "SQS":
            arn = event["Properties"]["Queue"]
            text = arn.get("Fn::Sub", "") if isinstance(arn, dict) else arn
            for name, logical in names.items():
                if text.endswith(f":{name}"):
                    return logical
            raise SystemExit(f"an SQS handler reads {text}, which infra/resources.json does not define")
    raise ValueError("not a consumer")


def _policy(kind: str, stage: str, tables: list[str], queues: dict[str, Any], consumed: str | None) -> list[dict[str, Any]]:
    table_resources: list[Any] = []
    for table in tables:
        table_resources += [{"Fn::GetAtt": [table, "Arn"]}, {"Fn::Sub": f"${{{table}.Arn}}/index/*"}]
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"}},
        {"Effect": "Allow", "Action": [f"dynamodb:{a}" for a in TABLE_ACTIONS[kind]], "Resource": table_resources},
        {"Sid": "AuditEntriesAreAppendOnly", "Effect": "Deny",
         "Action": [f"dynamodb:{a}" for a in AUDIT_DENIED if a in TABLE_ACTIONS[kind]],
         "Resource": [r for r in table_resources if "Fn::GetAtt" in r],
         "Condition": {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": [f"{audit_keys.PREFIX}*"]}}},
        {"Effect": "Allow", "Action": ["ssm:GetParameter"],
         "Resource": {"Fn::Sub": f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/mall/{stage}/*"}},
    ]
    send_to = [logical for logical, queue in queues.items() if kind in queue.get("Metadata", {}).get(SENDERS, [])]
    if send_to:
        statements.append({"Effect": "Allow", "Action": QUEUE_SEND,
                           "Resource": [{"Fn::GetAtt": [q, "Arn"]} for q in send_to]})
    if consumed:
        statements.append({"Effect": "Allow", "Action": QUEUE_CONSUME,
                           "Resource": [{"Fn::GetAtt": [consumed, "Arn"]}]})
    return [{"PolicyName": f"mall-{kind}", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]


def _role(policies: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": policies,
    }}


def _error_template(code: str, message: str) -> str:
    return json.dumps(error_body(code, message))


def build_merge_template(generated: dict[str, Any], definitions: dict[str, Any], env: dict[str, str],
                         stage: str) -> dict[str, Any]:
    """The merge template for the functions Chalice generated in `generated`."""
    resources = definitions["Resources"]
    merged: dict[str, Any] = {}
    for logical, resource in resources.items():
        shipped = copy.deepcopy(resource)
        name = env[resource["Metadata"][NAME_ENV]]
        if resource["Type"] == TABLE:
            shipped["Properties"]["TableName"] = name
            shipped["DeletionPolicy"] = shipped["UpdateReplacePolicy"] = "Retain"
        elif resource["Type"] == QUEUE:
            shipped["Properties"]["QueueName"] = name
        merged[logical] = shipped

    tables = [k for k, r in resources.items() if r["Type"] == TABLE]
    queues = {k: r for k, r in resources.items() if r["Type"] == QUEUE}
    names = _queue_names(resources, env)
    for logical, function in generated["Resources"].items():
        if function["Type"] != FUNCTION:
            continue
        kind = function_kind(function)
        consumed = _consumed_queue(function, names) if kind == "consumer" else None
        role = "DefaultRole" if kind == "api" else f"{logical}Role"
        merged[role] = _role(_policy(kind, stage, tables, queues, consumed))
        overrides: dict[str, Any] = {"Timeout": TIMEOUTS[kind], "MemorySize": MEMORY_MB,
                                     "Role": {"Fn::GetAtt": [role, "Arn"]}}
        events = {name: {"Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}}
                  for name, event in function["Properties"].get("Events", {}).items() if event["Type"] == "SQS"}
        if events:
            overrides["Events"] = events
        merged[logical] = {"Properties": overrides}

    if "RestAPI" in generated["Resources"]:
        no_such_route = {"StatusCode": "404", "ResponseTemplates": {
            "application/json": _error_template("NOT_FOUND", NO_SUCH_ROUTE)}}
        merged["RestAPI"] = {"Properties": {"GatewayResponses": {
            "MISSING_AUTHENTICATION_TOKEN": no_such_route,
            # No route here is IAM-signed, so API Gateway checks a signature only when it reads
            # the bearer token of a request for no route as SigV4 (a 403 about 'Credential'
            # otherwise: MISSING_AUTHENTICATION_TOKEN alone is reported not to cover that case).
            "INVALID_SIGNATURE": copy.deepcopy(no_such_route),
            "THROTTLED": {"StatusCode": "429", "ResponseTemplates": {
                "application/json": _error_template("THROTTLED", "Too many requests; retry after a short pause.")}},
        }}}
    return {"Resources": merged}


def check_visibility(definitions: dict[str, Any]) -> None:
    """SQS must not redeliver a message while its consumer may still be running on it."""
    for logical, resource in definitions["Resources"].items():
        if resource["Type"] == QUEUE and "RedrivePolicy" in resource["Properties"]:
            visibility = resource["Properties"].get("VisibilityTimeout", 30)
            if visibility < 6 * TIMEOUTS["consumer"]:
                raise SystemExit(f"{logical}: VisibilityTimeout {visibility} < 6 x consumer timeout")


def chalice_package(stage: str, out_dir: Path, merge_template: Path | None = None) -> dict[str, Any]:
    command = [sys.executable, "-c", _CHALICE_CLI, "package", "--stage", stage]
    if merge_template:
        command += ["--merge-template", str(merge_template)]
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    subprocess.run(command + [str(out_dir)], cwd=ROOT, env=env, check=True)
    return json.loads((out_dir / "sam.json").read_text())


def byte_compile(deployment: Path, runtime: str) -> int:
    """Add `__pycache__/*.pyc` for every module of the deployment zip; return how many.

    `chalice package` ships sources only, and a Lambda cannot cache bytecode (its code
    directory is read-only), so without this every cold start compiles every module it
    imports: that doubled `import app` (pydantic, Powertools, Chalice and chalicelib
    compiled each time). The bytecode is Python-version specific: the packaging
    interpreter must be the functions' runtime. UNCHECKED_HASH: the zip never changes
    once built, so Python uses the bytecode without checking it against the source
    (a zip's timestamps are not reliable enough for the default check).
    """
    packaging = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime != packaging:
        raise SystemExit(f"the functions run {runtime} but this is {packaging}: package with {runtime}")
    with tempfile.TemporaryDirectory(prefix="mall-bytecode-") as scratch, zipfile.ZipFile(deployment, "a") as zipped:
        root = Path(scratch)
        zipped.extractall(root, [name for name in zipped.namelist() if name.endswith(".py")])
        compileall.compile_dir(root, quiet=2, workers=0, invalidation_mode=PycInvalidationMode.UNCHECKED_HASH)
        compiled = sorted(root.rglob("*.pyc"))
        for path in compiled:
            zipped.write(path, path.relative_to(root).as_posix(), compress_type=zipfile.ZIP_DEFLATED)
    return len(compiled)


def function_runtime(template: dict[str, Any]) -> str:
    """The one Python runtime of every function in `template`."""
    runtimes = {r["Properties"]["Runtime"] for r in template["Resources"].values() if r["Type"] == FUNCTION}
    if len(runtimes) != 1:
        raise SystemExit(f"expected one runtime for every function, found {sorted(runtimes)}")
    return runtimes.pop()


def lint(template: Path) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(cfn_lint), str(template)], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"cfn-lint found problems in {template}:\n{result.stdout}{result.stderr}")


def package(stage: str, out_dir: Path) -> Path:
    definitions = json.loads(RESOURCES.read_text())
    check_visibility(definitions)
    env = stage_environment(stage)
    with tempfile.TemporaryDirectory(prefix="mall-package-") as scratch:
        print(f"[1/4] chalice package --stage {stage} (discovering functions)", flush=True)
        generated = chalice_package(stage, Path(scratch) / "first")
        merge = Path(scratch) / "merge.json"
        merge.write_text(json.dumps(build_merge_template(generated, definitions, env, stage), indent=2))
        print("[2/4] chalice package --merge-template (tables, queues, IAM, partial batch failures)", flush=True)
        template = chalice_package(stage, out_dir, merge)
    print("[3/4] byte-compile the zip (cold starts import bytecode, not source)", flush=True)
    compiled = byte_compile(out_dir / "deployment.zip", function_runtime(template))
    print(f"      {compiled} modules compiled", flush=True)
    print("[4/4] cfn-lint", flush=True)
    lint(out_dir / "sam.json")
    print(f"wrote {out_dir / 'sam.json'} and {out_dir / 'deployment.zip'}")
    return out_dir / "sam.json"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build the deployable template and zip.")
    parser.add_argument("--stage", default="prod", choices=sorted(json.loads(CONFIG.read_text())["stages"]))
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    package(args.stage, args.out.resolve())


if __name__ == "__main__":
    main()
