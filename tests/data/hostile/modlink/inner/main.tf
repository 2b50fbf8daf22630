output "action" {
  value = "s3:*"
}
