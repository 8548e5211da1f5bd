output "network_id" {
  description = "ID of the site's VPC."
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "Name of the site's VPC."
  value       = google_compute_network.this.name
}

output "subnet_cidrs" {
  description = "Ranges that must be reachable from the other site over the VPN (nodes, pods, services)."
  value       = [var.subnet_cidr, var.pods_cidr, var.services_cidr]
}

output "egress_ips" {
  description = "Cloud NAT addresses: the arbiter allows its port from these only."
  value       = google_compute_address.nat[*].address
}

output "cluster_name" {
  description = "GKE cluster name."
  value       = google_container_cluster.this.name
}

output "cluster_endpoint" {
  description = "Private endpoint of the GKE control plane."
  value       = google_container_cluster.this.endpoint
  sensitive   = true
}

output "cluster_ca_certificate" {
  description = "Base64 CA certificate of the GKE control plane."
  value       = google_container_cluster.this.master_auth[0].cluster_ca_certificate
  sensitive   = true
}

output "workload_pool" {
  description = "Workload Identity pool of the cluster."
  value       = local.workload_pool
}

output "image_repository" {
  description = "Docker repository URL in Artifact Registry (helm: image.repository prefix)."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "backup_bucket" {
  description = "Backup/WAL bucket name (helm: backups.objectStore.destinationPath is gs://<this>/)."
  value       = google_storage_bucket.backups.name
}

output "backup_service_account_email" {
  description = "Google service account of the PostgreSQL pods (helm: iam.gke.io/gcp-service-account annotation)."
  value       = google_service_account.backup.email
}

output "agent_service_account_email" {
  description = "Google service account of the agent (helm: iam.gke.io/gcp-service-account annotation)."
  value       = google_service_account.agent.email
}

output "velero_bucket" {
  description = "Velero's bucket (helm: backups.velero.bucket)."
  value       = google_storage_bucket.velero.name
}

output "velero_service_account_email" {
  description = "Velero's Google service account (the Velero chart's serviceAccount.server annotation iam.gke.io/gcp-service-account)."
  value       = google_service_account.velero.email
}
