# Everything the Helm values need, in the shape of the chart's values:
#   terraform output -json helm_values > values-infra.json
output "helm_values" {
  description = "Per-site Helm values derived from the infrastructure (image repositories, backup buckets, workload identities, arbiter URL, edge)."
  value = {
    arbiter = {
      url = module.arbiter.url
    }
    # deploy/helm/monitoring/*-values.yaml (docs/observability.md, "The monitoring cluster")
    monitoring = {
      ingressIp               = module.monitoring.ingress_ip
      hosts                   = module.monitoring.hosts
      lokiBuckets             = module.monitoring.loki_buckets
      lokiServiceAccountEmail = module.monitoring.loki_service_account_email
    }
    edge = {
      hostname        = var.hostname
      healthCheckPath = module.edge.health_check_path
      ipAddress       = module.edge.ip_address
    }
    sites = {
      gcp = {
        imageRepository = module.gcp_site.image_repository
        backup = {
          destinationPath = "gs://${module.gcp_site.backup_bucket}/"
        }
        velero = {
          bucket              = module.gcp_site.velero_bucket
          serviceAccountEmail = module.gcp_site.velero_service_account_email
        }
        serviceAccountAnnotations = {
          agent    = { "iam.gke.io/gcp-service-account" = module.gcp_site.agent_service_account_email }
          postgres = { "iam.gke.io/gcp-service-account" = module.gcp_site.backup_service_account_email }
        }
      }
      aws = {
        imageRepositories = module.aws_site.ecr_repository_urls
        backup = {
          destinationPath = "s3://${module.aws_site.backup_bucket}/"
        }
        velero = {
          bucket  = module.aws_site.velero_bucket
          roleArn = module.aws_site.velero_role_arn
        }
        # EKS Pod Identity binds the roles; no service account annotations are needed.
        roles = {
          agent    = module.aws_site.agent_role_arn
          postgres = module.aws_site.backup_role_arn
        }
      }
    }
  }
}

output "github_actions" {
  description = "Values for the GitHub Actions workflows' auth steps."
  value = {
    gcp_workload_identity_provider = module.github_oidc.gcp_workload_identity_provider
    gcp_service_account            = module.github_oidc.gcp_service_account_email
    aws_role_arn                   = module.github_oidc.aws_role_arn
  }
}

output "vpn_tunnels" {
  description = "The four GCP tunnel names to monitor."
  value       = module.interconnect.tunnel_names
}

output "edge_detection_seconds" {
  description = "Worst-case seconds for the edge to stop sending traffic to a site that lost writer-health."
  value       = module.edge.detection_seconds
}
