# `./inner` is inside the repository: its output is evaluated (and `s3:*` reported).
module "inner" {
  source = "./inner"
}

# `./out` is made at run time a link to a module folder outside the repository.
module "out" {
  source = "./out"
}

resource "aws_iam_policy" "inner" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = module.inner.action, Resource = "arn:aws:s3:::b/*" }] })
}

resource "aws_iam_policy" "out" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = module.out.action, Resource = "arn:aws:s3:::b/*" }] })
}
