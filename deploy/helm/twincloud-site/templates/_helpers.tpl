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
twincloud.dev/site: {{ include "twincloud.site" . }}
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
