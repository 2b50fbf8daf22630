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
