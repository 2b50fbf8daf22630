//! A generator of realistic Terraform trees for stress tests: root stacks per environment calling
//! local modules, every policy form (jsonencode, heredocs with interpolations and directives,
//! quoted JSON, file/templatefile, policy documents with sources, overrides, principals,
//! conditions, dynamic blocks), `count`, `for_each`, `for` expressions, attachments, and a
//! `.terraform/` folder of broken files that must never be read.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub struct Stats {
    /// `.tf` files written outside `.terraform/`.
    pub tf_files: usize,
    pub bytes: usize,
    pub paths: Vec<PathBuf>,
    /// Documents the frontend must find at least.
    pub min_docs: usize,
}

/// A tiny deterministic generator (no dependency, same tree for the same seed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

const SERVICES: &[&str] = &[
    "s3", "sqs", "sns", "dynamodb", "kms", "logs", "ecr", "lambda",
];
const VERBS: &[&str] = &[
    "Get", "Put", "List", "Describe", "Delete", "Create", "Update",
];
const NOUNS: &[&str] = &[
    "Object", "Item", "Message", "Key", "Image", "Function", "Table",
];

fn action(r: &mut Lcg) -> String {
    format!("{}:{}{}", r.pick(SERVICES), r.pick(VERBS), r.pick(NOUNS))
}

/// Writes about `files` `.tf` files under `root`.
pub fn write_tree(root: &Path, files: usize, seed: u64) -> Stats {
    let mut r = Lcg(seed);
    let mut stats = Stats {
        tf_files: 0,
        bytes: 0,
        paths: Vec::new(),
        min_docs: 0,
    };
    let write = |path: PathBuf, text: String, stats: &mut Stats| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        if path.extension().is_some_and(|e| e == "tf")
            && !path.to_string_lossy().contains(".terraform")
        {
            stats.tf_files += 1;
            stats.bytes += text.len();
            stats.paths.push(path.clone());
        }
        std::fs::write(path, text).unwrap();
    };
    // Vendored modules and provider caches: never read.
    write(
        root.join(".terraform/modules/vendored/main.tf"),
        "resource \"aws_iam_policy\" \"x\" { policy = jsonencode({ \n".to_string(),
        &mut stats,
    );
    let dirs = files.div_ceil(5);
    for d in 0..dirs {
        let dir = if d % 4 == 0 {
            root.join(format!("modules/svc{d}"))
        } else {
            root.join(format!("envs/env{}/stack{d}", d % 3))
        };
        let units = 3;
        let mut main = String::new();
        let mut docs = String::new();
        for k in 0..units {
            unit(&mut r, &mut main, &mut docs, k, d);
        }
        stats.min_docs += units * 8;
        write(dir.join("main.tf"), main, &mut stats);
        write(dir.join("iam_docs.tf"), docs, &mut stats);
        write(dir.join("variables.tf"), variables(d), &mut stats);
        write(dir.join("locals.tf"), locals(&mut r, d), &mut stats);
        write(dir.join("outputs.tf"), outputs(d), &mut stats);
        write(
            dir.join("policies/read.json"),
            format!(
                "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\n      \"Effect\": \"Allow\",\n      \"Action\": [\"{}\", \"{}\"],\n      \"Resource\": \"*\"\n    }}\n  ]\n}}\n",
                action(&mut r),
                action(&mut r)
            ),
            &mut stats,
        );
        write(
            dir.join("policies/bucket.json.tpl"),
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:GetObject\",\n      \"Resource\": \"arn:aws:s3:::${bucket}/*\"\n    }%{ for b in extra },\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:GetObject\",\n      \"Resource\": \"arn:aws:s3:::${b}/*\"\n    }%{ endfor }\n  ]\n}\n".to_string(),
            &mut stats,
        );
    }
    stats
}

fn unit(r: &mut Lcg, main: &mut String, docs: &mut String, k: usize, d: usize) {
    let a1 = action(r);
    let a2 = action(r);
    let a3 = action(r);
    let _ = writeln!(
        main,
        r#"
resource "aws_iam_role" "svc_{k}" {{
  name               = "svc-${{var.env}}-{d}-{k}"
  assume_role_policy = data.aws_iam_policy_document.trust_{k}.json
  path               = "/services/"

  dynamic "inline_policy" {{
    for_each = var.inline_policies
    content {{
      name   = inline_policy.key
      policy = inline_policy.value
    }}
  }}

  tags = {{ for key, value in var.tags : key => upper(value) if value != "" }}
}}

resource "aws_iam_policy" "svc_{k}" {{
  count       = var.enabled ? 1 : 0
  name        = "svc-${{var.env}}-{k}"
  description = "%{{ if var.env == "prod" }}production%{{ else }}test%{{ endif }} access"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Sid      = "Read{k}"
        Effect   = "Allow"
        Action   = ["{a1}", "{a2}"]
        Resource = ["arn:aws:s3:::${{local.bucket}}", "arn:aws:s3:::${{local.bucket}}/*"]
      }},
      {{
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.k_{k}.arn
        Condition = {{
          StringEquals = {{
            "kms:ViaService" = "s3.${{data.aws_region.current.name}}.amazonaws.com"
          }}
        }}
      }},
      {{
        Effect   = "Allow"
        Action   = local.extra_actions
        Resource = [for b in var.buckets : "arn:aws:s3:::${{b}}/*"]
      }},
    ]
  }})
}}

resource "aws_iam_role_policy_attachment" "managed_{k}" {{
  for_each   = toset(var.managed_policy_arns)
  role       = aws_iam_role.svc_{k}.name
  policy_arn = each.value
}}

resource "aws_iam_role_policy_attachment" "svc_{k}" {{
  count      = var.enabled ? 1 : 0
  role       = aws_iam_role.svc_{k}.name
  policy_arn = aws_iam_policy.svc_{k}[0].arn
}}

resource "aws_iam_role_policy" "heredoc_{k}" {{
  name = "heredoc-{k}"
  role = aws_iam_role.svc_{k}.id
  policy = <<-EOF
    {{
      "Version": "2012-10-17",
      "Statement": [
        {{
          "Effect": "Allow",
          "Action": ["{a3}"],
          "Resource": "arn:aws:s3:::${{local.bucket}}/home/$${{aws:username}}/*",
          "Condition": {{"StringEquals": {{"aws:PrincipalAccount": "${{var.account_id}}"}}}}
        }}
      ]
    }}
  EOF
}}

resource "aws_s3_bucket_policy" "b_{k}" {{
  bucket = "bucket-{d}-{k}"
  policy = <<EOF
{{
  "Version": "2012-10-17",
  "Statement": [
    {{
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::bucket-{d}-{k}", "arn:aws:s3:::bucket-{d}-{k}/*"],
      "Condition": {{"Bool": {{"aws:SecureTransport": "false"}}}}
    }}
  ]
}}
EOF
}}

resource "aws_sqs_queue_policy" "q_{k}" {{
  queue_url = aws_sqs_queue.q_{k}.id
  policy    = data.aws_iam_policy_document.queue_{k}.json
}}

resource "aws_kms_key" "k_{k}" {{
  description = "key {k}"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "Root"
      Effect    = "Allow"
      Principal = {{ AWS = "arn:aws:iam::${{var.account_id}}:root" }}
      Action    = "kms:*"
      Resource  = "*"
    }}]
  }})
}}

resource "aws_iam_user_policy" "quoted_{k}" {{
  user   = "ci-{d}-{k}"
  policy = "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":\"{a1}\",\"Resource\":\"*\"}}]}}"
}}

resource "aws_iam_group_policy" "file_{k}" {{
  group  = "readers"
  policy = file("${{path.module}}/policies/read.json")
}}

resource "aws_iam_policy" "tpl_{k}" {{
  name = "tpl-{k}"
  policy = templatefile("${{path.module}}/policies/bucket.json.tpl", {{
    bucket = local.bucket
    extra  = []
  }})
}}

module "child_{k}" {{
  source   = "../../modules/svc0"
  for_each = var.children
  name     = each.key
  env      = var.env
}}
"#
    );
    let _ = writeln!(
        docs,
        r#"
data "aws_iam_policy_document" "trust_{k}" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"]
    }}
    condition {{
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }}
  }}
}}

data "aws_iam_policy_document" "base_{k}" {{
  statement {{
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:*:${{var.account_id}}:log-group:/svc/{k}:*"]
  }}
}}

data "aws_iam_policy_document" "queue_{k}" {{
  source_policy_documents   = [data.aws_iam_policy_document.base_{k}.json]
  override_policy_documents = [jsonencode({{ Statement = [{{ Sid = "Logs", Effect = "Allow", Action = "logs:PutLogEvents", Resource = "*" }}] }})]

  statement {{
    sid     = "Send"
    actions = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.q_{k}.arn]
    principals {{
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }}
    condition {{
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.t_{k}.arn]
    }}
  }}

  dynamic "statement" {{
    for_each = var.extra_statements
    content {{
      sid       = statement.key
      actions   = statement.value.actions
      resources = statement.value.resources
    }}
  }}
}}

data "aws_iam_policy_document" "each_{k}" {{
  for_each = toset(var.buckets)
  statement {{
    not_actions   = ["s3:DeleteBucket"]
    not_resources = ["arn:aws:s3:::${{each.key}}/private/*"]
  }}
}}
"#
    );
}

fn variables(d: usize) -> String {
    format!(
        r#"variable "env" {{
  type    = string
  default = "env{}"
}}

variable "account_id" {{
  type = string
}}

variable "enabled" {{
  type    = bool
  default = true
}}

variable "buckets" {{
  type    = list(string)
  default = ["logs-{d}", "data-{d}"]
}}

variable "managed_policy_arns" {{
  type    = list(string)
  default = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
}}

variable "inline_policies" {{
  type    = map(string)
  default = {{}}
}}

variable "extra_statements" {{
  type = map(object({{
    actions   = list(string)
    resources = list(string)
  }}))
  default = {{}}
}}

variable "tags" {{
  type    = map(string)
  default = {{ team = "platform" }}
}}

variable "children" {{
  type    = set(string)
  default = []
}}
"#,
        d % 3
    )
}

fn locals(r: &mut Lcg, d: usize) -> String {
    format!(
        r#"locals {{
  bucket        = "app-${{var.env}}-{d}"
  extra_actions = concat(["{}"], var.enabled ? ["{}"] : [])
  names         = {{ for i, b in var.buckets : b => i }}
  common_tags   = merge(var.tags, {{ stack = "{d}" }})
}}
"#,
        action(r),
        action(r)
    )
}

fn outputs(d: usize) -> String {
    format!(
        r#"output "role_arns" {{
  value = [for r in aws_iam_role.svc_0[*] : r.arn]
}}

output "stack" {{
  value       = "stack-{d}"
  description = <<-EOT
    Stack {d}: ${{local.bucket}}
  EOT
}}
"#
    )
}
