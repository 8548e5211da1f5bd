output "address" {
  description = "Public address of the arbiter (helm: agent.arbiterUrl host)."
  value       = google_compute_address.this.address
}

output "url" {
  description = "URL the agents use to reach the arbiter."
  value       = "https://${google_compute_address.this.address}:${var.arbiter_port}"
}

output "service_account_email" {
  description = "Service account of the arbiter VM."
  value       = google_service_account.this.email
}
