output "address" {
  description = "Public address of the arbiter (helm: agent.arbiterUrl host)."
  value       = google_compute_address.this.address
}

output "url" {
  description = "URL the agents use to reach the arbiter (HTTPS: the arbiter serves TLS with the certificate in Secret Manager; helm: arbiter.url)."
  value       = "https://${google_compute_address.this.address}:${var.arbiter_port}"
}

output "service_account_email" {
  description = "Service account of the arbiter VM."
  value       = google_service_account.this.email
}

output "secret_ids" {
  description = "Secret Manager secrets the operator fills before the VM's first start: agent token, operator token, TLS certificate and key, the log shipper's Loki password."
  value       = { for k, s in google_secret_manager_secret.this : k => s.secret_id }
}

output "network_id" {
  description = "ID of the arbiter's own VPC (monitoring-cluster peer_networks: its log shipper reaches Loki through the peering)."
  value       = google_compute_network.this.id
}

output "subnet_cidr" {
  description = "Range of the arbiter's subnet (monitoring-cluster client_cidrs)."
  value       = var.subnet_cidr
}
