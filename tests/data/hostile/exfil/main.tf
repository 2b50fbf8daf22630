resource "aws_iam_policy" "up" {
  policy = file("../../secret.json")
}

resource "aws_iam_policy" "far" {
  policy = file("../../../../../../../../../../etc/passwd")
}

resource "aws_iam_policy" "environ" {
  policy = file("/proc/self/environ")
}

resource "aws_iam_policy" "environ_relative" {
  policy = file("../../../../../../../../../../proc/self/environ")
}

resource "aws_iam_policy" "zero" {
  policy = file("../../../../../../../../../../dev/zero")
}

resource "aws_iam_policy" "stdin" {
  policy = file("../../../../../../../../../../dev/stdin")
}

resource "aws_iam_policy" "template" {
  policy = templatefile("../../secret.json", {})
}

locals {
  stolen = file("${path.module}/../../secret.json")
}

resource "aws_iam_policy" "via_local" {
  policy = local.stolen
}

resource "aws_iam_policy" "fileset_up" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = fileset("../..", "**"), Resource = "*" }] })
}

resource "aws_iam_policy" "fileset_abs" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = fileset("/", "etc/*"), Resource = "*" }] })
}

resource "aws_iam_policy" "fileset_each" {
  for_each = fileset("${path.module}/../..", "*.json")
  policy   = file("${path.module}/../../${each.value}")
}

resource "aws_iam_policy" "cwd" {
  policy = file("${path.cwd}/../secret.json")
}
