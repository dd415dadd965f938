{{- define "stationmaster.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "stationmaster.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "stationmaster.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "stationmaster.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "stationmaster.authSecret" -}}
{{- .Values.auth.existingSecret | default (printf "%s-auth" (include "stationmaster.fullname" .)) -}}
{{- end -}}

{{- define "stationmaster.host" -}}
{{- printf "%s.%s" .prefix .root.Values.ingress.domain -}}
{{- end -}}

{{- define "stationmaster.scheme" -}}
{{- if .Values.ingress.tls.enabled -}}https{{- else -}}http{{- end -}}
{{- end -}}

{{/* the token secret every process needs, from the auth Secret */}}
{{- define "stationmaster.tokenEnv" -}}
- name: STATIONMASTER__secure__auth__token_secret
  valueFrom:
    secretKeyRef:
      name: {{ include "stationmaster.authSecret" . }}
      key: token-secret
{{- end -}}

{{- define "stationmaster.configVolume" -}}
- name: config
  secret:
    secretName: {{ include "stationmaster.fullname" . }}-hosts
- name: tmp
  emptyDir: {}
{{- end -}}

{{- define "stationmaster.configMounts" -}}
- name: config
  mountPath: /etc/stationmaster
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end -}}
