# One twincloud deployment: two sites, the VPN between them, the arbiter, the
# edge, the monitoring cluster and CI federation. Apply order is handled by references, with one loop
# (docs/deploy.md, "First deployment"): after the first Helm install of both
# sites, apply again with gcp_negs_created = true (GKE has created the API's
# NEGs) and aws_backend_ips (the AWS internal NLB's fixed private IPs).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # Built from names rather than module outputs: aws_site already depends on the
  # deploy role (cluster admin), so referring back would be a cycle.
  aws_arn_prefix = "arn:${data.aws_partition.current.partition}"
  aws_account    = data.aws_caller_identity.current.account_id
}

module "github_oidc" {
  source = "../../modules/github-oidc"

  github_repository       = var.github_repository
  gcp_project_id          = var.gcp_project_id
  aws_ecr_repository_arns = ["${local.aws_arn_prefix}:ecr:${var.aws_region}:${local.aws_account}:repository/twincloud-*"]
  aws_eks_cluster_arns    = ["${local.aws_arn_prefix}:eks:${var.aws_region}:${local.aws_account}:cluster/${var.environment}-aws"]
}

module "gcp_site" {
  source = "../../modules/gcp-site"

  project_id                 = var.gcp_project_id
  region                     = var.gcp_region
  name                       = "${var.environment}-gcp"
  master_authorized_networks = var.master_authorized_networks
  fleet_project              = var.gcp_project_id
}

module "aws_site" {
  source = "../../modules/aws-site"

  name                                 = "${var.environment}-aws"
  availability_zones                   = var.aws_availability_zones
  cluster_admin_principal_arns         = [module.github_oidc.aws_role_arn]
  load_balancer_controller_policy_json = file(var.aws_load_balancer_controller_policy_file)
}

module "fleet" {
  source = "../../modules/fleet"

  fleet_project_id    = var.gcp_project_id
  location            = var.gcp_region
  attach_eks          = var.attach_eks
  eks_cluster_name    = module.aws_site.cluster_name
  eks_oidc_issuer_url = module.aws_site.oidc_issuer_url
  platform_version    = var.attached_platform_version
  admin_users         = var.fleet_admin_users
}

module "interconnect" {
  source = "../../modules/interconnect"

  name                  = "${var.environment}-vpn"
  gcp_project_id        = var.gcp_project_id
  gcp_region            = var.gcp_region
  gcp_network_id        = module.gcp_site.network_id
  gcp_network_name      = module.gcp_site.network_name
  gcp_cidrs             = module.gcp_site.subnet_cidrs
  aws_vpc_id            = module.aws_site.vpc_id
  aws_vpc_cidr          = module.aws_site.vpc_cidr
  aws_route_table_ids   = module.aws_site.private_route_table_ids
  aws_security_group_id = module.aws_site.cluster_security_group_id
  # Google's health-check/proxy ranges (the hybrid backend) and the monitoring cluster's subnet (the
  # AWS site's Prometheus and log shipper push to its ingress over the VPN).
  extra_advertised_ranges = concat(["35.191.0.0/16", "130.211.0.0/22"], module.monitoring.advertised_ranges)
}

module "arbiter" {
  source = "../../modules/arbiter-site"

  project_id           = var.arbiter_project_id
  region               = var.arbiter_region
  zone                 = var.arbiter_zone
  avoid_regions        = [var.gcp_region]
  name                 = "${var.environment}-arbiter"
  image                = var.arbiter_image
  allowed_source_cidrs = [for ip in concat(module.gcp_site.egress_ips, module.aws_site.egress_ips) : "${ip}/32"]
  loki_host            = module.monitoring.hosts["loki"]
}

# The admin cluster: Prometheus, Alertmanager, Grafana, Loki, Headlamp (docs/observability.md). In the
# GCP site's VPC; the AWS site reaches it over the VPN, the arbiter's VM through a peering.
module "monitoring" {
  source = "../../modules/monitoring-cluster"

  project_id                 = var.gcp_project_id
  region                     = var.gcp_region
  name                       = "${var.environment}-monitoring"
  network_id                 = module.gcp_site.network_id
  network_name               = module.gcp_site.network_name
  master_authorized_networks = var.master_authorized_networks
  domain                     = var.monitoring_domain
  aws_vpc_id                 = module.aws_site.vpc_id
  client_cidrs               = concat([module.aws_site.vpc_cidr], module.gcp_site.subnet_cidrs, [module.arbiter.subnet_cidr])
  peer_networks              = { arbiter = module.arbiter.network_id }
}

module "edge" {
  source = "../../modules/global-lb"

  name             = "${var.environment}-edge"
  hostname         = var.hostname
  mode             = var.edge_mode
  serving_mode     = var.edge_serving_mode
  gcp_project_id   = var.gcp_project_id
  gcp_network_id   = module.gcp_site.network_id
  gcp_network_name = module.gcp_site.network_name
  gcp_neg_zones    = var.gcp_zones
  gcp_negs_created = var.gcp_negs_created
  aws_hybrid_zone  = var.gcp_zones[0]
  aws_backend_ips  = var.aws_backend_ips
  route53_zone_id  = var.route53_zone_id
  route53_sites    = var.route53_sites

  depends_on = [module.interconnect] # the hybrid backend is only reachable through the VPN
}
