{{/* Labels on every object: the kustomize overlays' pairs plus Helm's ownership labels. */}}
{{- define "truenas-csi.labels" -}}
app.kubernetes.io/part-of: truenas-csi
truenas-csi.io/node-mode: {{ .Values.node.mode }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
