#!/usr/bin/env python3
"""Generates a deterministic CloudTrail corpus for the `iamlint usage` benchmark.

Gzip log files in the delivery layout
(`AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<account>_CloudTrail_<region>_<stamp>_<n>.json.gz`),
each `{"Records": [...]}`, with records shaped as the AWS CloudTrail documentation's examples
(management and data events, assumed-role sessions, IAM users, AWS services, denied calls), for
several principals. The same seed gives the same bytes (gzip mtime 0).

Also writes `infra/main.tf` under the output folder: the roles and the user the records name,
so `iamlint usage OUT/infra --logs OUT/AWSLogs` has principals to judge.

    gen_logs.py OUT [--events 2000000] [--per-file 2000] [--seed 1]
"""

import argparse
import gzip
import json
import os
import random
import zlib

ACCOUNT = "111122223333"
REGIONS = ["us-east-1", "eu-west-1"]

# (event source, event name, data event, request parameters builder)
def s3_obj(r, bucket):
    return {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "key": f"k/{r.randrange(10**6)}.bin"}

CALLS = {
    "app-role": [
        ("s3.amazonaws.com", "GetObject", True, lambda r: s3_obj(r, "app-assets")),
        ("s3.amazonaws.com", "PutObject", True, lambda r: s3_obj(r, "app-uploads")),
        ("s3.amazonaws.com", "HeadObject", True, lambda r: s3_obj(r, "app-assets")),
        ("s3.amazonaws.com", "ListBuckets", False, lambda r: {"Host": "s3.amazonaws.com"}),
        ("dynamodb.amazonaws.com", "Query", True, lambda r: {"tableName": "orders", "keyConditionExpression": "pk = :pk"}),
        ("dynamodb.amazonaws.com", "PutItem", True, lambda r: {"tableName": "orders"}),
        ("kms.amazonaws.com", "Decrypt", False, lambda r: {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
    ],
    "worker-role": [
        ("sqs.amazonaws.com", "GetQueueAttributes", False, lambda r: {"queueUrl": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs", "attributeNames": ["All"]}),
        ("sns.amazonaws.com", "Publish", True, lambda r: {"topicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:done"}),
        ("lambda.amazonaws.com", "GetFunction20150331v2", False, lambda r: {"functionName": "resize"}),
        ("monitoring.amazonaws.com", "PutMetricData", False, lambda r: {"namespace": "Worker"}),
        ("logs.amazonaws.com", "CreateLogStream", False, lambda r: {"logGroupName": "/worker", "logStreamName": f"s{r.randrange(1000)}"}),
    ],
    "deploy-role": [
        ("ecs.amazonaws.com", "UpdateService", False, lambda r: {"cluster": "main", "service": "web"}),
        ("ecs.amazonaws.com", "DescribeServices", False, lambda r: {"cluster": "main", "services": ["web"]}),
        ("ecr.amazonaws.com", "GetAuthorizationToken", False, lambda r: {}),
        ("iam.amazonaws.com", "PassRole", False, lambda r: {"roleName": "app-role"}),
        ("s3.amazonaws.com", "CopyObject", True, lambda r: s3_obj(r, "deploy-artifacts")),
    ],
    "reporting-role": [
        ("athena.amazonaws.com", "StartQueryExecution", False, lambda r: {"queryString": "SELECT 1", "workGroup": "primary"}),
        ("athena.amazonaws.com", "GetQueryResults", False, lambda r: {"queryExecutionId": f"{r.randrange(10**12):x}"}),
        ("glue.amazonaws.com", "GetTable", False, lambda r: {"databaseName": "db", "name": "events"}),
        ("s3.amazonaws.com", "ListObjectsV2", True, lambda r: {"bucketName": "reports", "list-type": "2"}),
    ],
}
USERS = {
    "ci-user": [
        ("sts.amazonaws.com", "GetCallerIdentity", False, lambda r: None),
        ("s3.amazonaws.com", "ListBuckets", False, lambda r: {"Host": "s3.amazonaws.com"}),
        ("cloudformation.amazonaws.com", "DescribeStacks", False, lambda r: {"stackName": "web"}),
    ],
}
OUTSIDE = ["vendor-readonly", "AWSServiceRoleForSupport"]

POLICIES = {
    "app-role": ["s3:*", "dynamodb:*", "kms:Decrypt", "kms:Encrypt"],
    "worker-role": ["sqs:*", "sns:*", "lambda:*", "cloudwatch:PutMetricData", "logs:*"],
    "deploy-role": ["ecs:*", "ecr:*", "iam:PassRole", "s3:*"],
    "reporting-role": ["athena:*", "glue:*", "s3:Get*", "s3:List*"],
}


def identity_role(role, r):
    session = f"session-{r.randrange(100)}"
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE{zlib.crc32(role.encode()) % 10**6:06d}:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": f"ASIAEXAMPLE{r.randrange(10**8):08d}",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLE",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2024-05-01T00:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def identity_user(user, r):
    return {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "userName": user,
    }


def record(r, t, ident, call):
    source, name, data, params = call
    region = r.choice(REGIONS)
    rec = {
        "eventVersion": "1.09",
        "userIdentity": ident,
        "eventTime": t,
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": f"198.51.100.{r.randrange(256)}",
        "userAgent": "aws-sdk-java/2.25.0 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS",
        "requestParameters": params(r),
        "responseElements": None,
        "requestID": f"{r.getrandbits(64):016X}",
        "eventID": f"{r.getrandbits(32):08x}-{r.getrandbits(16):04x}-{r.getrandbits(16):04x}-{r.getrandbits(16):04x}-{r.getrandbits(48):012x}",
        "readOnly": name.startswith(("Get", "List", "Describe", "Head")),
        "eventType": "AwsApiCall",
        "managementEvent": not data,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data" if data else "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": source.replace("amazonaws.com", f"{region}.amazonaws.com"),
        },
    }
    if r.random() < 0.01:
        rec["errorCode"] = "AccessDenied"
        rec["errorMessage"] = "User is not authorized to perform this operation"
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--per-file", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    r = random.Random(args.seed)
    who = [("role", k) for k in CALLS] + [("user", k) for k in USERS] + [("outside", k) for k in OUTSIDE]
    weights = [30, 25, 10, 10, 5, 2, 1]
    files = (args.events + args.per_file - 1) // args.per_file
    raw = 0
    n = 0
    for f in range(files):
        day = f * 60 // files  # 60 days
        month, dom = (5, day + 1) if day < 31 else (6, day - 30)
        region = REGIONS[f % 2]
        folder = os.path.join(args.out, "AWSLogs", ACCOUNT, "CloudTrail", region, "2024", f"{month:02d}", f"{dom:02d}")
        os.makedirs(folder, exist_ok=True)
        recs = []
        for i in range(min(args.per_file, args.events - n)):
            kind, name = r.choices(who, weights)[0]
            t = f"2024-{month:02d}-{dom:02d}T{(i * 24) // args.per_file:02d}:{r.randrange(60):02d}:{r.randrange(60):02d}Z"
            if kind == "role":
                rec = record(r, t, identity_role(name, r), r.choice(CALLS[name]))
            elif kind == "user":
                rec = record(r, t, identity_user(name, r), r.choice(USERS[name]))
            else:
                rec = record(r, t, identity_role(name, r), ("ec2.amazonaws.com", "DescribeInstances", False, lambda r: {"maxResults": 100}))
            recs.append(rec)
        n += len(recs)
        text = json.dumps({"Records": recs}, separators=(",", ":")).encode()
        raw += len(text)
        name = f"{ACCOUNT}_CloudTrail_{region}_2024{month:02d}{dom:02d}T{f % 24:02d}00Z_{f:06d}.json.gz"
        with open(os.path.join(folder, name), "wb") as out:
            with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0, filename="") as g:
                g.write(text)
    infra = os.path.join(args.out, "infra")
    os.makedirs(infra, exist_ok=True)
    tf = []
    for role, actions in POLICIES.items():
        rid = role.replace("-", "_")
        tf.append(f'''resource "aws_iam_role" "{rid}" {{
  name = "{role}"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Service = "ecs-tasks.amazonaws.com" }}, Action = "sts:AssumeRole" }}]
  }})
}}

resource "aws_iam_role_policy" "{rid}" {{
  role = aws_iam_role.{rid}.id
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = {json.dumps(actions)}, Resource = "*" }}]
  }})
}}
''')
    tf.append('''resource "aws_iam_user" "ci" {
  name = "ci-user"
}

resource "aws_iam_user_policy" "ci" {
  user = aws_iam_user.ci.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:ListAllMyBuckets", "cloudformation:Describe*"], Resource = "*" }]
  })
}
''')
    with open(os.path.join(infra, "main.tf"), "w") as out:
        out.write("\n".join(tf))
    print(json.dumps({"events": n, "files": files, "uncompressed_bytes": raw}))


if __name__ == "__main__":
    main()
