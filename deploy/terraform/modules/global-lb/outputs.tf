output "ip_address" {
  description = "Anycast address of the GCP load balancer: point the hostname's A record here (gcp-alb mode)."
  value       = one(google_compute_global_address.this[*].address)
}

output "backend_service_id" {
  description = "Backend service holding both sites (gcp-alb mode)."
  value       = one(google_compute_backend_service.api[*].id)
}

output "route53_health_check_ids" {
  description = "Route 53 health check IDs by site (route53-failover mode)."
  value       = { for k, h in aws_route53_health_check.site : k => h.id }
}

output "health_check_path" {
  description = "Path every probe uses: health_check_path with serving_mode follow-writer, /actuator/health/reader with read-local."
  value       = local.health_check_path
}

output "serving_mode" {
  description = "follow-writer (only the writer's backend serves) or read-local (both serve, the nearest healthy first)."
  value       = var.serving_mode
}

output "detection_seconds" {
  description = "Worst-case seconds until the edge stops sending to a site that lost writer-health (see README for the math)."
  value = var.mode == "gcp-alb" ? var.health_check_interval_sec * var.unhealthy_threshold + var.health_check_timeout_sec : (
    var.route53_request_interval * var.unhealthy_threshold + var.dns_ttl
  )
}
