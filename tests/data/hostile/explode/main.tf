locals {
  s0 = "AAAAAAAAAAAAAAAA"
  s1 = "${local.s0}${local.s0}"
  s2 = "${local.s1}${local.s1}"
  s3 = "${local.s2}${local.s2}"
  s4 = "${local.s3}${local.s3}"
  s5 = "${local.s4}${local.s4}"
  s6 = "${local.s5}${local.s5}"
  s7 = "${local.s6}${local.s6}"
  s8 = "${local.s7}${local.s7}"
  s9 = "${local.s8}${local.s8}"
  s10 = "${local.s9}${local.s9}"
  s11 = "${local.s10}${local.s10}"
  s12 = "${local.s11}${local.s11}"
}

resource "aws_iam_policy" "big" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:${local.s12}", Resource = "*" }] })
}
