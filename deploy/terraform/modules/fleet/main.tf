# Both sites' clusters in one fleet (GKE Fleet, multi-cloud): the GKE cluster registers itself
# (gcp-site fleet_project), the EKS cluster is attached here as a GKE attached cluster. From the
# fleet the operator sees both clusters in one console, reaches both private control planes through
# the Connect gateway, and can apply fleet-wide policy (docs/deploy.md, "One fleet").
#
# Attaching needs the attach agent installed on the EKS cluster first (its manifest comes from
# `gcloud container attached clusters generate-install-manifest`); so the attached cluster is
# created only once attach_eks is set (a second apply, like the load balancer's backends).

data "google_project" "fleet" {
  project_id = var.fleet_project_id
}

resource "google_container_attached_cluster" "eks" {
  count            = var.attach_eks ? 1 : 0
  project          = var.fleet_project_id
  location         = var.location
  name             = var.eks_cluster_name
  description      = "twincloud AWS site, attached to the fleet of ${var.fleet_project_id}"
  distribution     = "eks"
  platform_version = var.platform_version

  # EKS publishes its service-account token issuer publicly.
  oidc_config {
    issuer_url = var.eks_oidc_issuer_url
  }

  fleet {
    project = format("projects/%s", data.google_project.fleet.number)
  }

  authorization {
    admin_users = var.admin_users
  }
}
