output "cluster_name" {
  description = "GKE cluster name of the monitoring cluster."
  value       = google_container_cluster.this.name
}

output "cluster_endpoint" {
  description = "Private endpoint of the monitoring cluster's control plane."
  value       = google_container_cluster.this.endpoint
  sensitive   = true
}

output "ingress_ip" {
  description = "Internal address of the ingress controller's load balancer (helm: ingress-nginx controller.service.loadBalancerIP)."
  value       = google_compute_address.ingress.address
}

output "advertised_ranges" {
  description = "Ranges the interconnect's Cloud Router must advertise to AWS so that the AWS site reaches the ingress (interconnect extra_advertised_ranges)."
  value       = [var.subnet_cidr]
}

output "hosts" {
  description = "The monitoring cluster's names, all resolving to ingress_ip (helm: the ingresses' hosts; the sites' remoteWrite URL and Loki host)."
  value       = local.hosts
}

output "loki_buckets" {
  description = "Loki's buckets by use (helm: loki-values.yaml loki.storage.bucketNames)."
  value       = { for k, b in google_storage_bucket.loki : k => b.name }
}

output "loki_service_account_email" {
  description = "Google service account of Loki (helm: loki-values.yaml serviceAccount annotation iam.gke.io/gcp-service-account)."
  value       = google_service_account.loki.email
}
