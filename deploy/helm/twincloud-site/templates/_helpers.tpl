{{/* Names and labels shared by every object of the site. */}}

{{- define "twincloud.site" -}}
{{- required "site is required (this site's name, e.g. gcp)" .Values.site -}}
{{- end -}}

{{- define "twincloud.peerSite" -}}
{{- $peer := required "peerSite is required (the other site's name)" .Values.peerSite -}}
{{- if eq $peer .Values.site -}}{{- fail "peerSite must differ from site" -}}{{- end -}}
{{- $peer -}}
{{- end -}}

{{- define "twincloud.labels" -}}
app.kubernetes.io/part-of: twincloud
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- if .Values.monitoringOnly }}
twincloud.dev/role: monitoring
{{- else }}
twincloud.dev/site: {{ include "twincloud.site" . }}
{{- end }}
{{- end -}}

{{- define "twincloud.selectorLabels" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .component }}
{{- end -}}

{{- define "twincloud.image" -}}
{{- $registry := required "image.registry is required" .root.Values.image.registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $registry) .image.repository (default .root.Chart.AppVersion .root.Values.image.tag) -}}
{{- end -}}

{{/* A site's Cluster name: the resource's name and its name in the distributed topology. */}}
{{- define "twincloud.clusterOf" -}}
{{- printf "%s-%s" .root.Values.postgres.clusterPrefix .site -}}
{{- end -}}

{{- define "twincloud.cluster" -}}
{{- include "twincloud.clusterOf" (dict "root" . "site" (include "twincloud.site" .)) -}}
{{- end -}}

{{- define "twincloud.jdbcUrl" -}}
{{- printf "jdbc:postgresql://%s-rw:5432/%s?sslmode=verify-full&sslrootcert=/etc/twincloud/db-ca/ca.crt" (include "twincloud.cluster" .root) .database -}}
{{- end -}}

{{/* cert-manager: the issuerRef, and the Issuer when the chart creates it (same in the arbiter chart). */}}
{{- define "twincloud.certManagerIssuerRef" -}}
name: {{ required "certManager.issuerRef.name is required" .issuerRef.name }}
kind: {{ .issuerRef.kind | default "ClusterIssuer" }}
group: {{ .issuerRef.group | default "cert-manager.io" }}
{{- end -}}

{{- define "twincloud.certManagerIssuer" -}}
{{- $cm := .cm -}}
{{- if $cm.issuer.create -}}
{{- if ne ($cm.issuerRef.kind | default "ClusterIssuer") "Issuer" -}}
{{- fail "certManager.issuer.create renders an Issuer: set certManager.issuerRef.kind to Issuer" -}}
{{- end -}}
{{- if ne ($cm.issuerRef.group | default "cert-manager.io") "cert-manager.io" -}}
{{- fail "certManager.issuer.create renders a cert-manager.io Issuer: certManager.issuerRef.group must be cert-manager.io" -}}
{{- end -}}
{{- if not $cm.issuer.spec -}}
{{- fail "certManager.issuer.spec is required with certManager.issuer.create (e.g. vault: {...})" -}}
{{- end -}}
{{- if hasKey $cm.issuer.spec "ca" -}}
{{- fail "certManager.issuer.spec.ca keeps the CA's private key in a Secret of this cluster; use an issuer whose key stays outside the clusters (vault, or an external issuer through issuerRef)" -}}
{{- end -}}
{{- if hasKey $cm.issuer.spec "selfSigned" -}}
{{- fail "certManager.issuer.spec.selfSigned gives each certificate its own issuer, which the other site and the agents do not trust; use one CA for the arbiter and both sites" -}}
{{- end }}
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: {{ $cm.issuerRef.name }}
  labels:
    {{- include "twincloud.labels" .root | nindent 4 }}
spec:
  {{- toYaml $cm.issuer.spec | nindent 2 }}
---
{{- end -}}
{{- end -}}

{{/* The Barman Cloud plugin's ObjectStore of this site (backups.yaml; the Cluster's plugins entry). */}}
{{- define "twincloud.objectStore" -}}
{{- .Values.backups.objectStore.name | default (printf "%s-store" (include "twincloud.cluster" .)) -}}
{{- end -}}

{{/* The folder of this site's archive in the bucket: the Cluster's name, plus a generation after a
     re-clone (backups.archiveGeneration), so a re-cloned site starts a clean archive path. */}}
{{- define "twincloud.backupServerName" -}}
{{- $cluster := include "twincloud.cluster" . -}}
{{- with .Values.backups.archiveGeneration -}}
{{- printf "%s-g%v" $cluster . -}}
{{- else -}}
{{- $cluster -}}
{{- end -}}
{{- end -}}
