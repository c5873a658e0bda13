{{- define "neuron-fleet.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "neuron-fleet.subnetName" -}}
{{- default (printf "sn%v" .Values.subnet.netuid) .Values.subnet.name -}}
{{- end -}}

{{- define "neuron-fleet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tensorfleet
{{- end -}}

{{/*
A Neuron spec: `neuron` values overlaid with one entry's overrides, plus the subnet and coldkey
references. Empty maps/lists are dropped so the object stays minimal.
Input: dict "root" $ "overrides" (map).
*/}}
{{- define "neuron-fleet.neuronSpec" -}}
{{- $root := .root -}}
{{- $spec := mergeOverwrite (deepCopy $root.Values.neuron) (omit (deepCopy .overrides) "name") -}}
{{- if not $spec.image -}}
{{- fail "neuron.image is required (or set image in each neurons[] entry)" -}}
{{- end -}}
{{- $_ := set $spec "subnet" (include "neuron-fleet.subnetName" $root) -}}
{{- $wallet := default (dict) $spec.wallet -}}
{{- if $root.Values.coldkeySecret -}}
{{- $_ := set $wallet "coldkeySecret" $root.Values.coldkeySecret -}}
{{- end -}}
{{- $mode := dig "registration" "mode" "auto" $spec -}}
{{- if and (not $wallet.coldkeySecret) (or (eq $mode "auto") $spec.stake) -}}
{{- fail "coldkeySecret (an existing Secret) is required for registration.mode=auto and for stake" -}}
{{- end -}}
{{- if $wallet -}}
{{- $_ := set $spec "wallet" $wallet -}}
{{- end -}}
{{- range $k, $v := $spec -}}
{{- if and (kindIs "map" $v) (empty $v) -}}{{- $_ := unset $spec $k -}}{{- end -}}
{{- if and (kindIs "slice" $v) (empty $v) -}}{{- $_ := unset $spec $k -}}{{- end -}}
{{- end -}}
{{- toYaml $spec -}}
{{- end -}}
