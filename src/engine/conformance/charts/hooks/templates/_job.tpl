{{- define "hooks.job" -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .name }}
  annotations:
    helm.sh/hook: {{ .events }}
    helm.sh/hook-weight: {{ .weight | quote }}
    {{- with .policy }}
    helm.sh/hook-delete-policy: {{ . }}
    {{- end }}
spec:
  backoffLimit: 0
  {{- if hasKey . "ttl" }}
  ttlSecondsAfterFinished: {{ .ttl }}
  {{- end }}
  template:
    metadata:
      annotations: { testenv.strata.dev/complete-after: "1s" }
    spec:
      restartPolicy: Never
      {{- with .serviceAccount }}
      serviceAccountName: {{ . }}
      {{- end }}
      containers: [{ name: main, image: "registry.local/hook:1" }]
{{- end -}}
