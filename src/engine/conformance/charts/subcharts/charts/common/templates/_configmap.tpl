{{- /* A library chart renders nothing itself; its parent includes what it defines. */ -}}
{{- define "common.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .name }}
  labels:
    app.kubernetes.io/managed-by: {{ .root.Release.Service }}
data:
  {{- toYaml .data | nindent 2 }}
{{- end -}}
