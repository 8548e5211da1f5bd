output "gcp_workload_identity_provider" {
  description = "Full provider name for google-github-actions/auth (workload_identity_provider)."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "gcp_service_account_email" {
  description = "Service account for google-github-actions/auth (service_account)."
  value       = google_service_account.deployer.email
}

output "aws_role_arn" {
  description = "Role for aws-actions/configure-aws-credentials (role-to-assume); also pass it to aws-site cluster_admin_principal_arns."
  value       = aws_iam_role.deployer.arn
}
