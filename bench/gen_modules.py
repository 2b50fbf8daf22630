#!/usr/bin/env python3
"""Writes a tree of Terraform module repositories shaped like the public ones
(terraform-aws-modules, cloudposse, aws-ia): a root module whose policies are assembled from
variables, locals, merge()/concat() and dynamic "statement" blocks over for_each, a few local
submodules, and examples/ folders that call the root with concrete values, some broad, some
narrow. Deterministic (seeded), standard library only.

    python3 bench/gen_modules.py --out bench/out/corpora/modules [--repos 44] [--seed 7]

Each repository also gets a `.git` folder (empty), so iamlint treats it as a repository root
when following `source = "../../"` from an example.

What a linter should find: every example named `complete` or `admin` passes a broad value
(`svc:*`, `"*"` resources, AdministratorAccess); `minimal` and `scoped` pass narrow ones; the
module on its own uses narrow defaults.
"""

import argparse
import os
import random

SERVICES = [
    ("s3", ["GetObject", "PutObject", "ListBucket", "DeleteObject"], "arn:aws:s3:::{name}-bucket/*"),
    ("sqs", ["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes"],
     "arn:aws:sqs:us-east-1:111122223333:{name}-queue"),
    ("dynamodb", ["GetItem", "PutItem", "Query", "UpdateItem"],
     "arn:aws:dynamodb:us-east-1:111122223333:table/{name}"),
    ("sns", ["Publish", "Subscribe", "GetTopicAttributes"],
     "arn:aws:sns:us-east-1:111122223333:{name}-topic"),
    ("kms", ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"],
     "arn:aws:kms:us-east-1:111122223333:key/{name}"),
    ("logs", ["CreateLogStream", "PutLogEvents", "DescribeLogStreams"],
     "arn:aws:logs:us-east-1:111122223333:log-group:/app/{name}:*"),
    ("secretsmanager", ["GetSecretValue", "DescribeSecret"],
     "arn:aws:secretsmanager:us-east-1:111122223333:secret:{name}-*"),
    ("ecr", ["BatchGetImage", "GetDownloadUrlForLayer", "BatchCheckLayerAvailability"],
     "arn:aws:ecr:us-east-1:111122223333:repository/{name}"),
    ("lambda", ["InvokeFunction", "GetFunction"],
     "arn:aws:lambda:us-east-1:111122223333:function:{name}"),
]

TRUSTED = ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "ec2.amazonaws.com"]


def hcl_list(items):
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return 1


def root_module(name, svc, actions, arn):
    main = f'''locals {{
  base_actions = {hcl_list(f"{svc}:{a}" for a in actions[:2])}
  statements = merge(var.extra_statements, {{
    Base = {{
      actions   = concat(local.base_actions, var.additional_actions)
      resources = var.resource_arns
    }}
  }})
}}

data "aws_iam_policy_document" "assume" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = var.trusted_services
    }}
  }}
}}

data "aws_iam_policy_document" "this" {{
  dynamic "statement" {{
    for_each = local.statements
    content {{
      sid       = statement.key
      effect    = "Allow"
      actions   = statement.value.actions
      resources = statement.value.resources
    }}
  }}

  statement {{
    sid       = "Manage"
    actions   = ["{svc}:${{var.manage_access}}"]
    resources = var.resource_arns
  }}
}}

resource "aws_iam_role" "this" {{
  count              = var.create_role ? 1 : 0
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.assume.json
}}

resource "aws_iam_policy" "this" {{
  count  = var.create_policy ? 1 : 0
  name   = "${{var.name}}-{svc}"
  policy = data.aws_iam_policy_document.this.json
}}

resource "aws_iam_role_policy_attachment" "this" {{
  count      = var.create_role && var.create_policy ? 1 : 0
  role       = aws_iam_role.this[0].name
  policy_arn = aws_iam_policy.this[0].arn
}}

resource "aws_iam_role_policy_attachment" "managed" {{
  for_each   = toset(var.managed_policy_arns)
  role       = aws_iam_role.this[0].name
  policy_arn = each.value
}}

module "reader" {{
  source        = "./modules/reader"
  name          = var.name
  resource_arns = var.resource_arns
}}

module "writer" {{
  source        = "./modules/writer"
  name          = var.name
  resource_arns = var.resource_arns
  actions       = var.writer_actions
}}

module "logging" {{
  source  = "cloudposse/label/null"
  version = "0.25.0"
  name    = var.name
}}
'''
    variables = f'''variable "name" {{
  description = "Name prefix for every resource"
  type        = string
  default     = "{name}"
}}

variable "create_role" {{
  type    = bool
  default = true
}}

variable "create_policy" {{
  type    = bool
  default = true
}}

variable "resource_arns" {{
  type    = list(string)
  default = ["{arn.format(name=name)}"]
}}

variable "additional_actions" {{
  type    = list(string)
  default = []
}}

variable "manage_access" {{
  type    = string
  default = "{actions[-1]}"
}}

variable "writer_actions" {{
  type    = list(string)
  default = ["{svc}:{actions[1]}"]
}}

variable "extra_statements" {{
  type = map(object({{
    actions   = list(string)
    resources = list(string)
  }}))
  default = {{}}
}}

variable "trusted_services" {{
  type    = list(string)
  default = ["lambda.amazonaws.com"]
}}

variable "managed_policy_arns" {{
  type    = list(string)
  default = []
}}
'''
    outputs = '''output "role_arn" {
  value = try(aws_iam_role.this[0].arn, null)
}

output "policy_json" {
  value = data.aws_iam_policy_document.this.json
}
'''
    versions = '''terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}
'''
    return {"main.tf": main, "variables.tf": variables, "outputs.tf": outputs,
            "versions.tf": versions}


def reader_module(svc, actions):
    return {
        "main.tf": f'''resource "aws_iam_policy" "read" {{
  name = "${{var.name}}-read"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid      = "Read"
      Effect   = "Allow"
      Action   = {hcl_list(f"{svc}:{a}" for a in actions[:1])}
      Resource = var.resource_arns
    }}]
  }})
}}
''',
        "variables.tf": '''variable "name" {
  type = string
}

variable "resource_arns" {
  type = list(string)
}
''',
        "outputs.tf": '''output "arn" {
  value = aws_iam_policy.read.arn
}
''',
    }


def writer_module(svc):
    return {
        "main.tf": '''data "aws_iam_policy_document" "write" {
  statement {
    sid       = "Write"
    actions   = var.actions
    resources = var.resource_arns
  }
}

resource "aws_iam_policy" "write" {
  name   = "${var.name}-write"
  policy = data.aws_iam_policy_document.write.json
}
''',
        "variables.tf": f'''variable "name" {{
  type = string
}}

variable "resource_arns" {{
  type = list(string)
}}

variable "actions" {{
  type    = list(string)
  default = ["{svc}:Get*"]
}}
''',
    }


def boundary_module(svc):
    return {
        "main.tf": f'''variable "name" {{
  type = string
}}

resource "aws_iam_policy" "boundary" {{
  name   = "${{var.name}}-boundary"
  policy = file("${{path.module}}/boundary.json")
}}
''',
        "boundary.json": f'''{{
  "Version": "2012-10-17",
  "Statement": [
    {{
      "Sid": "Boundary",
      "Effect": "Allow",
      "Action": ["{svc}:*", "logs:*"],
      "Resource": "*"
    }}
  ]
}}
''',
    }


def example(kind, name, svc, actions, arn, rng):
    scoped = arn.format(name=f"{name}-{kind}")
    args = [f'  source = "../../"', f'  name   = "{name}-{kind}"']
    if kind == "complete":
        args += [
            f'  additional_actions = ["{svc}:*"]',
            '  resource_arns      = ["*"]',
            '  manage_access      = "*"',
            '  managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]',
            f'  trusted_services   = {hcl_list(rng.sample(TRUSTED, 2))}',
        ]
    elif kind == "admin":
        args += [
            '  writer_actions = ["*"]',
            f'  resource_arns  = ["{scoped}"]',
            "  extra_statements = {",
            "    Everything = {",
            '      actions   = ["iam:*"]',
            '      resources = ["*"]',
            "    }",
            "  }",
        ]
    elif kind == "scoped":
        args += [
            f'  resource_arns = ["{scoped}"]',
            "  extra_statements = {",
            "    Describe = {",
            f'      actions   = ["{svc}:{actions[-1]}"]',
            f'      resources = ["{scoped}"]',
            "    }",
            "  }",
        ]
    else:  # minimal
        args += [f'  resource_arns = ["{scoped}"]', "  create_role   = false"]
    main = 'module "this" {\n' + "\n".join(args) + "\n}\n"
    main += '''
module "disabled" {
  source        = "../../"
  name          = "disabled"
  create_policy = false
}
'''
    return {
        "main.tf": main,
        "outputs.tf": 'output "role_arn" {\n  value = module.this.role_arn\n}\n',
        "versions.tf": 'terraform {\n  required_version = ">= 1.5"\n}\n',
        "README.md": f"# {kind} example\n\n```sh\nterraform init && terraform apply\n```\n",
    }


def gen(out, repos, seed):
    rng = random.Random(seed)
    files = 0
    for i in range(repos):
        svc, actions, arn = SERVICES[i % len(SERVICES)]
        name = f"terraform-aws-{svc}-{i:02d}"
        base = os.path.join(out, name)
        os.makedirs(os.path.join(base, ".git"), exist_ok=True)
        for rel, text in root_module(name, svc, actions, arn).items():
            files += write(base, rel, text)
        files += write(base, "README.md", f"# {name}\n\nIAM for {svc}.\n")
        for rel, text in reader_module(svc, actions).items():
            files += write(base, f"modules/reader/{rel}", text)
        for rel, text in writer_module(svc).items():
            files += write(base, f"modules/writer/{rel}", text)
        if i % 2 == 0:
            for rel, text in boundary_module(svc).items():
                files += write(base, f"modules/boundary/{rel}", text)
        kinds = ["complete", "minimal"] + rng.sample(["admin", "scoped"], rng.randint(0, 2))
        for kind in kinds:
            for rel, text in example(kind, name, svc, actions, arn, rng).items():
                files += write(base, f"examples/{kind}/{rel}", text)
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="bench/out/corpora/modules")
    ap.add_argument("--repos", type=int, default=44)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    n = gen(a.out, a.repos, a.seed)
    print(f"modules: {a.repos} repositories, {n} files in {a.out}")


if __name__ == "__main__":
    main()
