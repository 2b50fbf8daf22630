#!/usr/bin/env python3
"""Benchmark corpora for bench/run.sh, written under an output folder (default bench/out/corpora).

    gen_corpora.py [--out DIR] [--seed N] [--scale K]

    small/policy.json          one ordinary customer policy
    managed/<Name>.json        the 1,594 AWS managed policies embedded in iamlint
                               (rules/managed-policies.tsv, the file `include_str!`ed by the catalog)
    managed-auth-details.json  the same policies as `get-account-authorization-details` output,
                               for cloudsplaining
    generated/<svc>-<n>.json   300 random customer policies with the usual mistakes (verdicts.py)
    terraform/                 a realistic Terraform tree (~800 files, ~2.5 MB at scale 1)
    cloudformation/            YAML and JSON templates with IAM roles and policies
    big/big.json               one 50 MB authorization-details file (--big)
    scaled/{1x,2x,4x}/         the managed corpus copied 1, 2 and 4 times (--scaled)
    many/                      100,000 small policy files (--many)

Deterministic: the same seed gives byte-identical corpora. Standard library only.
"""

import argparse
import json
import math
import os
import random
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A vocabulary of real actions (plus a few deliberate mistakes, as real repositories have them).
ACTIONS = [
    "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketLocation",
    "s3:GetObjectVersion", "s3:PutObjectAcl", "s3:*", "s3:Get*", "s3:List*",
    "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan",
    "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:*",
    "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
    "sns:Publish", "sns:Subscribe", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey",
    "kms:DescribeKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
    "ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
    "ecr:BatchCheckLayerAvailability", "ec2:DescribeInstances", "ec2:DescribeSubnets",
    "ec2:RunInstances", "ec2:TerminateInstances", "ec2:*", "iam:PassRole", "iam:GetRole",
    "iam:CreateUser", "iam:AttachRolePolicy", "iam:*", "lambda:InvokeFunction",
    "lambda:UpdateFunctionCode", "secretsmanager:GetSecretValue", "ssm:GetParameter",
    "ssm:GetParameters", "ssm:GetParametersByPath", "cloudwatch:PutMetricData",
    "xray:PutTraceSegments", "sts:AssumeRole", "states:StartExecution", "events:PutEvents",
    "kinesis:PutRecord", "kinesis:GetRecords", "firehose:PutRecordBatch", "glue:GetTable",
    "athena:StartQueryExecution", "rds:DescribeDBInstances", "elasticache:DescribeCacheClusters",
    # mistakes: a plural, a wrong case of a service prefix, a made-up service
    "s3:GetObjects", "dynamodb:GetItems", "cloudwatch:PutMetric", "lamda:InvokeFunction",
    "*",
]
SERVICES = ["orders", "billing", "search", "auth", "catalog", "media", "ingest", "reports",
            "notify", "payments", "inventory", "shipping", "users", "audit", "feeds", "export"]
ENVS = ["dev", "staging", "prod"]


def arn_for(action, rng, svc):
    prefix = action.split(":")[0]
    if prefix == "s3":
        return rng.choice([f"arn:aws:s3:::{svc}-bucket/*", f"arn:aws:s3:::{svc}-bucket", "*"])
    if prefix == "dynamodb":
        return rng.choice([f"arn:aws:dynamodb:us-east-1:123456789012:table/{svc}", "*"])
    if prefix == "sqs":
        return f"arn:aws:sqs:us-east-1:123456789012:{svc}-queue"
    if prefix == "kms":
        return rng.choice(["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "*"])
    if prefix == "logs":
        return f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/{svc}:*"
    return "*"


def statements(rng, svc, n):
    out = []
    for i in range(n):
        actions = sorted(set(rng.sample(ACTIONS[:-5], rng.randint(1, 5))))
        if rng.random() < 0.08:
            actions.append(rng.choice(ACTIONS[-5:]))
        resources = sorted({arn_for(a, rng, svc) for a in actions})
        st = {"Sid": f"S{i}", "Effect": "Allow", "Action": actions,
              "Resource": resources if len(resources) > 1 else resources[0]}
        if rng.random() < 0.15:
            st["Condition"] = {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
        if rng.random() < 0.05:
            st["Effect"] = "Deny"
        out.append(st)
    return out


def policy(rng, svc, n=None):
    return {"Version": "2012-10-17", "Statement": statements(rng, svc, n or rng.randint(1, 4))}


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# ---------------------------------------------------------------- small

SMALL = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "ReadOrders", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": ["arn:aws:s3:::orders-bucket", "arn:aws:s3:::orders-bucket/*"]},
        {"Sid": "PullImages", "Effect": "Allow",
         "Action": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage"], "Resource": "*"},
        {"Sid": "Queue", "Effect": "Allow", "Action": "sqs:*",
         "Resource": "arn:aws:sqs:us-east-1:123456789012:orders"},
    ],
}


# ---------------------------------------------------------------- managed

def managed_policies():
    path = os.path.join(ROOT, "rules", "managed-policies.tsv")
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t", 4) for line in f if line.strip()]
    return rows  # name, arn, version, updated, document


def gen_managed(out):
    rows = managed_policies()
    d = os.path.join(out, "managed")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, _arn, _v, _u, doc in rows:
        with open(os.path.join(d, name + ".json"), "w", encoding="utf-8") as f:
            f.write(doc)
    return rows


# parliament 1.6.4 stops with "Unknown data format: ArrayOfARN" on these two; they are left out of
# the authorization-details files so that it can be timed on them (the one-file-per-policy corpus
# keeps them, and its parliament runs exclude them by pattern).
PARLIAMENT_CRASHERS = {"SageMakerStudioEMRContainersSystemNamespaceRolePolicy",
                       "SageMakerStudioProjectUserRolePolicy"}


def auth_details(rows, copies=1):
    """`aws iam get-account-authorization-details` shape, every policy as customer managed."""
    rows = [r for r in rows if r[0] not in PARLIAMENT_CRASHERS]
    policies = []
    n = 0
    for c in range(copies):
        for name, arn, version, updated, doc in rows:
            n += 1
            cname = name if copies == 1 else f"{name}{c}"
            policies.append({
                "PolicyName": cname,
                "PolicyId": f"ANPA{n:016}",
                "Arn": f"arn:aws:iam::123456789012:policy/{cname}",
                "Path": "/",
                "DefaultVersionId": version,
                "AttachmentCount": 1,
                "IsAttachable": True,
                "CreateDate": updated + "T00:00:00Z",
                "UpdateDate": updated + "T00:00:00Z",
                "PolicyVersionList": [{
                    "Document": json.loads(doc),
                    "VersionId": version,
                    "IsDefaultVersion": True,
                    "CreateDate": updated + "T00:00:00Z",
                }],
            })
    return {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [],
            "Policies": policies}


# ---------------------------------------------------------------- terraform

def hcl_list(items, indent):
    pad = " " * indent
    return "[\n" + "".join(f'{pad}  "{i}",\n' for i in items) + f"{pad}]"


def tf_jsonencode(name, svc, st):
    lines = [f'resource "aws_iam_policy" "{name}" {{',
             f'  name        = "${{var.prefix}}-{name}"',
             f'  description = "Access for the {svc} service"',
             "  policy = jsonencode({",
             '    Version = "2012-10-17"',
             "    Statement = ["]
    for s in st:
        lines.append("      {")
        lines.append(f'        Sid    = "{s["Sid"]}"')
        lines.append(f'        Effect = "{s["Effect"]}"')
        lines.append(f'        Action = {hcl_list(s["Action"], 8)}')
        res = s["Resource"]
        if isinstance(res, list):
            lines.append(f"        Resource = {hcl_list(res, 8)}")
        elif res.startswith("arn:aws:s3"):
            lines.append(f'        Resource = "${{aws_s3_bucket.{svc}.arn}}/*"')
        else:
            lines.append(f'        Resource = "{res}"')
        if "Condition" in s:
            lines.append("        Condition = {")
            lines.append('          StringEquals = { "aws:RequestedRegion" = var.region }')
            lines.append("        }")
        lines.append("      },")
    lines += ["    ]", "  })", "  tags = local.tags", "}", ""]
    return "\n".join(lines)


def tf_heredoc(name, svc, st):
    body = json.dumps({"Version": "2012-10-17", "Statement": st}, indent=2)
    body = body.replace(f"{svc}-bucket", "${var.bucket_name}")
    return (f'resource "aws_iam_role_policy" "{name}" {{\n'
            f'  name = "{name}"\n'
            f"  role = aws_iam_role.{svc}.id\n"
            f"  policy = <<-EOF\n{body}\n  EOF\n}}\n")


def tf_policy_document(name, svc, st, rng, with_policy=True):
    lines = [f'data "aws_iam_policy_document" "{name}" {{']
    for s in st:
        lines.append("  statement {")
        lines.append(f'    sid       = "{s["Sid"]}"')
        lines.append(f'    effect    = "{s["Effect"]}"')
        lines.append(f'    actions   = {hcl_list(s["Action"], 4)}')
        res = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        lines.append(f"    resources = {hcl_list(res, 4)}")
        if "Condition" in s:
            lines += ["    condition {",
                      '      test     = "StringEquals"',
                      '      variable = "aws:RequestedRegion"',
                      "      values   = [var.region]",
                      "    }"]
        lines.append("  }")
    if rng.random() < 0.5:
        lines += ["", "  dynamic \"statement\" {",
                  "    for_each = var.extra_buckets",
                  "    content {",
                  '      actions   = ["s3:GetObject", "s3:ListBucket"]',
                  '      resources = ["arn:aws:s3:::${statement.value}", "arn:aws:s3:::${statement.value}/*"]',
                  "    }", "  }"]
    lines += ["}", ""]
    if not with_policy:
        return "\n".join(lines)
    lines += [f'resource "aws_iam_policy" "{name}" {{',
              f'  name   = "${{var.prefix}}-{name}"',
              f"  policy = data.aws_iam_policy_document.{name}.json",
              "}", ""]
    return "\n".join(lines)


def tf_role(svc, principal):
    return f'''data "aws_iam_policy_document" "{svc}_assume" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["{principal}"]
    }}
  }}
}}

resource "aws_iam_role" "{svc}" {{
  name               = "${{var.prefix}}-{svc}"
  assume_role_policy = data.aws_iam_policy_document.{svc}_assume.json
  tags               = local.tags
}}
'''


def tf_attachments(svc, names, rng):
    out = []
    out.append(f'''resource "aws_iam_role_policy_attachment" "{svc}" {{
  for_each   = toset([{", ".join(f"aws_iam_policy.{n}.arn" for n in names)}])
  role       = aws_iam_role.{svc}.name
  policy_arn = each.value
}}
''')
    managed = rng.choice(["AmazonS3ReadOnlyAccess", "CloudWatchAgentServerPolicy",
                          "AmazonSSMManagedInstanceCore", "AdministratorAccess",
                          "service-role/AWSLambdaBasicExecutionRole", "PowerUserAccess"])
    out.append(f'''resource "aws_iam_role_policy_attachment" "{svc}_managed" {{
  count      = var.attach_managed ? 1 : 0
  role       = aws_iam_role.{svc}.name
  policy_arn = "arn:aws:iam::aws:policy/{managed}"
}}
''')
    return "\n".join(out)


TF_VARIABLES = '''variable "prefix" {
  type    = string
  default = "app"
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "bucket_name" {
  type = string
}

variable "extra_buckets" {
  type    = list(string)
  default = []
}

variable "attach_managed" {
  type    = bool
  default = true
}

locals {
  tags = {
    Team      = "platform"
    ManagedBy = "terraform"
  }
}
'''


def tf_service_main(svc, rng):
    return f'''resource "aws_s3_bucket" "{svc}" {{
  bucket = var.bucket_name
  tags   = local.tags
}}

resource "aws_sqs_queue" "{svc}" {{
  name                      = "${{var.prefix}}-{svc}"
  message_retention_seconds = {rng.choice([86400, 345600, 1209600])}
}}

resource "aws_lambda_function" "{svc}" {{
  function_name = "${{var.prefix}}-{svc}"
  role          = aws_iam_role.{svc}.arn
  handler       = "index.handler"
  runtime       = "python3.12"
  filename      = "${{path.module}}/build/{svc}.zip"
  timeout       = {rng.choice([3, 10, 30, 60])}

  environment {{
    variables = {{
      QUEUE_URL = aws_sqs_queue.{svc}.url
      BUCKET    = aws_s3_bucket.{svc}.id
    }}
  }}
}}

output "role_arn" {{
  value = aws_iam_role.{svc}.arn
}}
'''


def gen_terraform(out, rng):
    """~800 files, ~2.5 MB: modules used from environments, each service module with IAM in
    every style Terraform users write it in."""
    d = os.path.join(out, "terraform")
    shutil.rmtree(d, ignore_errors=True)
    files = 0
    size = 0

    def put(rel, text):
        nonlocal files, size
        write(os.path.join(d, rel), text)
        files += 1
        size += len(text.encode())

    principals = ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "ec2.amazonaws.com"]
    # 3 environments x 16 services x (4 iam/main/variables files) + env roots + shared modules
    for env in ENVS:
        for k in range(4):
            for svc in SERVICES:
                unit = f"{svc}{k}"
                base = f"live/{env}/{unit}"
                n_pol = rng.randint(3, 6)
                names = [f"{unit}_p{i}" for i in range(n_pol)]
                parts = [tf_role(unit, rng.choice(principals))]
                for name in names:
                    st = statements(rng, svc, rng.randint(4, 11))
                    style = rng.random()
                    if style < 0.4:
                        parts.append(tf_jsonencode(name, svc, st))
                    elif style < 0.7:
                        parts.append(tf_policy_document(name, svc, st, rng))
                    else:
                        parts.append(tf_heredoc(name, unit, st))  # inline: not attached
                parts.append(tf_attachments(unit, [n for n in names
                                                   if f'"aws_iam_policy" "{n}"' in "".join(parts)], rng))
                put(f"{base}/iam.tf", "\n".join(parts))
                put(f"{base}/main.tf", tf_service_main(unit, rng))
                put(f"{base}/variables.tf", TF_VARIABLES)
                put(f"{base}/versions.tf", 'terraform {\n  required_version = ">= 1.5"\n'
                    '  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
                    '      version = "~> 5.0"\n    }\n  }\n}\n')
    # Environment roots calling a shared module with for_each.
    for env in ENVS:
        calls = []
        for svc in SERVICES:
            calls.append(f'''module "{svc}_worker" {{
  source   = "../../modules/worker"
  for_each = toset(["a", "b"])
  name     = "{svc}-${{each.key}}"
  bucket   = "{svc}-{env}-${{each.key}}"
}}
''')
        put(f"envs/{env}/main.tf", "\n".join(calls))
        put(f"envs/{env}/providers.tf", 'provider "aws" {\n  region = "us-east-1"\n}\n')
    # Shared modules.
    for m in range(20):
        name = "worker" if m == 0 else f"mod{m}"
        st = statements(rng, "shared", rng.randint(3, 8))
        put(f"modules/{name}/main.tf", f'''variable "name" {{
  type = string
}}

variable "bucket" {{
  type = string
}}

resource "aws_iam_role" "this" {{
  name = var.name
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = {{ Service = "ecs-tasks.amazonaws.com" }}
    }}]
  }})
}}

resource "aws_iam_role_policy" "this" {{
  count  = length(var.bucket) > 0 ? 1 : 0
  name   = "${{var.name}}-access"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}}

''' + tf_policy_document("this", "shared", st, rng, with_policy=False) + '''
resource "aws_iam_group" "this" {
  name = var.name
}

resource "aws_iam_group_policy_attachment" "readonly" {
  group      = aws_iam_group.this.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
''')
        put(f"modules/{name}/outputs.tf", 'output "role_arn" {\n  value = aws_iam_role.this.arn\n}\n')
    # Policies kept as JSON beside the Terraform (read with file() in real trees).
    while files < 800:
        svc = rng.choice(SERVICES)
        put(f"policies/{svc}-{files}.json", json.dumps(policy(rng, svc), indent=2) + "\n")
    return files, size


# ---------------------------------------------------------------- cloudformation

def yaml_scalar_list(items, indent):
    pad = " " * indent
    # `*` starts an alias in YAML: quote it, as template authors must.
    return "".join(f"\n{pad}- '{i}'" if i.startswith("*") else f"\n{pad}- {i}" for i in items)


def cfn_yaml(rng, svc, idx):
    roles = []
    for r in range(rng.randint(1, 4)):
        st = statements(rng, svc, rng.randint(1, 5))
        stmts = []
        for s in st:
            res = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
            res_y = []
            for x in res:
                if x.startswith("arn:aws:s3"):
                    res_y.append("!Sub '${Bucket.Arn}/*'")
                elif x.startswith("arn:aws:sqs"):
                    res_y.append("!GetAtt Queue.Arn")
                else:
                    res_y.append(f"'{x}'")
            cond = ""
            if "Condition" in s:
                cond = ("\n                Condition:\n                  StringEquals:"
                        "\n                    aws:RequestedRegion: !Ref AWS::Region")
            stmts.append(f"""              - Sid: {s['Sid']}
                Effect: {s['Effect']}
                Action:{yaml_scalar_list(s['Action'], 18)}
                Resource:{yaml_scalar_list(res_y, 18)}{cond}""")
        roles.append(f"""  Role{r}:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub '${{AWS::StackName}}-{svc}-{r}'
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
      Policies:
        - PolicyName: {svc}-{r}
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
{chr(10).join(stmts)}
""")
    managed = policy(rng, svc)
    return f"""AWSTemplateFormatVersion: '2010-09-09'
Description: {svc} stack {idx}
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, staging, prod]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '{svc}-${{Env}}-{idx}'
  Queue:
    Type: AWS::SQS::Queue
{''.join(roles)}  ManagedPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref Role0]
      PolicyDocument: {json.dumps(managed)}
Outputs:
  RoleArn:
    Value: !GetAtt Role0.Arn
"""


def cfn_json(rng, svc, idx):
    resources = {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow",
                                   "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]},
                "Policies": [{"PolicyName": f"{svc}-inline",
                              "PolicyDocument": policy(rng, svc)}],
            },
        },
        "Policy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": f"{svc}-extra",
                "Roles": [{"Ref": "Role"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:PutObject"],
                        "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]},
                    }] + statements(rng, svc, rng.randint(1, 3)),
                },
            },
        },
    }
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09",
                       "Description": f"{svc} stack {idx}", "Resources": resources}, indent=2)


def gen_cloudformation(out, rng, n=200):
    d = os.path.join(out, "cloudformation")
    shutil.rmtree(d, ignore_errors=True)
    size = 0
    for i in range(n):
        svc = SERVICES[i % len(SERVICES)]
        if i % 4 == 3:
            text, ext = cfn_json(rng, svc, i), "json"
        else:
            text, ext = cfn_yaml(rng, svc, i), "yaml"
        write(os.path.join(d, f"{svc}-{i}.{ext}"), text)
        size += len(text)
    return n, size


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "corpora"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--big", action="store_true", help="also the 50 MB file")
    ap.add_argument("--scaled", action="store_true", help="also 1x/2x/4x copies")
    ap.add_argument("--many", type=int, default=0, help="also a folder of N small files")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = args.out
    os.makedirs(out, exist_ok=True)

    write(os.path.join(out, "small", "policy.json"), json.dumps(SMALL, indent=2) + "\n")
    rows = gen_managed(out)
    assert len(rows) == 1594, f"expected 1,594 managed policies, found {len(rows)}"
    with open(os.path.join(out, "managed-auth-details.json"), "w", encoding="utf-8") as f:
        json.dump(auth_details(rows), f)
    tf_files, tf_size = gen_terraform(out, rng)
    cfn_files, cfn_size = gen_cloudformation(out, rng)
    gen = os.path.join(out, "generated")
    shutil.rmtree(gen, ignore_errors=True)
    for i in range(300):
        svc = SERVICES[i % len(SERVICES)]
        write(os.path.join(gen, f"{svc}-{i:03}.json"),
              json.dumps(policy(rng, svc, rng.randint(1, 6)), indent=2) + "\n")
    print(f"small: 1 file; managed: {len(rows)} files; terraform: {tf_files} files, "
          f"{tf_size / 1e6:.2f} MB; cloudformation: {cfn_files} files, {cfn_size / 1e6:.2f} MB")

    if args.big:
        # Whole managed corpus as auth details, repeated until ~50 MB.
        one = json.dumps(auth_details(rows))
        copies = math.ceil(50e6 / len(one))
        text = json.dumps(auth_details(rows, copies))
        write(os.path.join(out, "big", "big.json"), text)
        print(f"big: {len(text) / 1e6:.1f} MB ({copies} copies)")
    if args.scaled:
        for k in (1, 2, 4):
            d = os.path.join(out, "scaled", f"{k}x")
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            for c in range(k):
                for name, _a, _v, _u, doc in rows:
                    with open(os.path.join(d, f"{name}.{c}.json"), "w", encoding="utf-8") as f:
                        f.write(doc)
        print("scaled: 1x, 2x, 4x")
    if args.many:
        d = os.path.join(out, "many")
        shutil.rmtree(d, ignore_errors=True)
        for i in range(args.many):
            sub = os.path.join(d, f"{i // 1000:03}")
            if i % 1000 == 0:
                os.makedirs(sub)
            with open(os.path.join(sub, f"p{i}.json"), "w", encoding="utf-8") as f:
                f.write(json.dumps(policy(rng, "many", 1)))
        print(f"many: {args.many} files")


if __name__ == "__main__":
    sys.exit(main())
