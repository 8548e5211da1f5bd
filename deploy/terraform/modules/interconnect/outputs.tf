output "gcp_vpn_gateway_ips" {
  description = "Public addresses of the two GCP HA VPN interfaces."
  value       = google_compute_ha_vpn_gateway.this.vpn_interfaces[*].ip_address
}

output "aws_tunnel_addresses" {
  description = "Public addresses of the four AWS tunnel endpoints."
  value       = flatten([for c in aws_vpn_connection.gcp : [c.tunnel1_address, c.tunnel2_address]])
}

output "tunnel_names" {
  description = "GCP tunnel names, for monitoring (all four must be ESTABLISHED with BGP up)."
  value       = [for t in google_compute_vpn_tunnel.aws : t.name]
}

output "aws_vpn_gateway_id" {
  description = "ID of the AWS virtual private gateway."
  value       = aws_vpn_gateway.this.id
}
