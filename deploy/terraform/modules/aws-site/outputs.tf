output "vpc_id" {
  description = "ID of the site's VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "CIDR of the site's VPC (routed to GCP over the VPN)."
  value       = aws_vpc.this.cidr_block
}

output "private_subnet_ids" {
  description = "Private subnets (nodes, internal load balancers)."
  value       = aws_subnet.private[*].id
}

output "public_subnet_ids" {
  description = "Public subnets (NAT gateways, internet-facing load balancer in Route 53 mode)."
  value       = aws_subnet.public[*].id
}

output "private_route_table_ids" {
  description = "Private route tables: the VPN gateway propagates the GCP routes into these."
  value       = aws_route_table.private[*].id
}

output "egress_ips" {
  description = "NAT gateway addresses: the arbiter allows its port from these only."
  value       = aws_eip.nat[*].public_ip
}

output "cluster_name" {
  description = "EKS cluster name."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "EKS API endpoint."
  value       = aws_eks_cluster.this.endpoint
  sensitive   = true
}

output "cluster_ca_certificate" {
  description = "Base64 CA certificate of the EKS API."
  value       = aws_eks_cluster.this.certificate_authority[0].data
  sensitive   = true
}

output "cluster_security_group_id" {
  description = "Security group EKS attaches to the control plane and managed nodes; cross-site rules are added to it."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "ecr_repository_urls" {
  description = "ECR repository URLs by name (helm: image.repository)."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "backup_bucket" {
  description = "Backup/WAL bucket name (helm: backups.objectStore.destinationPath is s3://<this>/)."
  value       = aws_s3_bucket.backups.bucket
}

output "kms_key_arn" {
  description = "KMS key encrypting secrets, images, volumes and backups."
  value       = aws_kms_key.this.arn
}

output "backup_role_arn" {
  description = "IAM role of the PostgreSQL pods (bound by EKS Pod Identity; no annotation needed)."
  value       = aws_iam_role.backup.arn
}

output "agent_role_arn" {
  description = "IAM role of the agent (bound by EKS Pod Identity; no annotation needed)."
  value       = aws_iam_role.agent.arn
}

output "load_balancer_controller_role_arn" {
  description = "IAM role of the AWS Load Balancer Controller (bound by EKS Pod Identity to kube-system/aws-load-balancer-controller)."
  value       = aws_iam_role.load_balancer_controller.arn
}

output "private_subnet_cidrs" {
  description = "CIDRs of the private subnets, one per availability zone in order: the internal NLBs' fixed IPs (helm: aws-load-balancer-private-ipv4-addresses) take one address in each."
  value       = aws_subnet.private[*].cidr_block
}

output "oidc_issuer_url" {
  description = "OIDC issuer of the EKS cluster's service-account tokens (fleet: attaching the cluster)."
  value       = aws_eks_cluster.this.identity[0].oidc[0].issuer
}

output "velero_bucket" {
  description = "Velero's bucket (helm: backups.velero.bucket)."
  value       = aws_s3_bucket.velero.bucket
}

output "velero_role_arn" {
  description = "Velero's IAM role (bound by EKS Pod Identity to velero/velero; no annotation needed)."
  value       = aws_iam_role.velero.arn
}
