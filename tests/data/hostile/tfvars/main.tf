variable "actions" {
  type    = list(string)
  default = ["s3:GetObject"]
}

resource "aws_iam_policy" "p" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = var.actions, Resource = "arn:aws:s3:::b/*" }]
  })
}
