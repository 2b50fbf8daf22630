# One policy per file of `policies/`: listed inside the repository, links neither listed nor
# followed (the test adds `policies/link.json` and `policies/up`, both pointing outside).
resource "aws_iam_policy" "each" {
  for_each = fileset("${path.module}/policies", "**/*.json")
  policy   = file("${path.module}/policies/${each.value}")
}

# Bounded: the test fills `many/` with more entries than one call may look at.
resource "aws_iam_policy" "many" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = fileset("${path.module}/many", "*"), Resource = "*" }] })
}
