# Makes a one-off Job running `clinic-ops $args` (split on spaces) from a service's Deployment (the JSON
# of `kubectl get deploy/<svc> -o json`, or a rendered overlay's Deployment), with the
# Deployment's image, settings, Secrets, mounts and hardening, without probes or ports.
#   kubectl -n NS get deploy/intake -o json \
#     | jq -f deploy/k8s/ops/job-from-deployment.jq --arg args "replay intake --since T" \
#     | kubectl -n NS create -f - -o name
# Its pods are "<svc>-ops" (component ops): never selected by the service's Service or
# PodDisruptionBudget; the NetworkPolicy <svc>-ops-egress lets them reach the service's
# database and the brokers. deploy/README.md, "Running clinic-ops".
(.metadata.name) as $service
| ($service + "-ops") as $name
| {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: ($name + "-" + (now | strftime("%Y%m%d-%H%M%S"))),
      labels: {
        "app.kubernetes.io/name": $name,
        "app.kubernetes.io/component": "ops",
        "app.kubernetes.io/part-of": "clinic"
      }
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 1800,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: {
          labels: {
            "app.kubernetes.io/name": $name,
            "app.kubernetes.io/component": "ops",
            "app.kubernetes.io/part-of": "clinic"
          }
        },
        spec: (
          .spec.template.spec
          | del(.topologySpreadConstraints, .terminationGracePeriodSeconds)
          | .restartPolicy = "Never"
          | .containers = [
              .containers[0]
              | .name = "clinic-ops"
              | .command = ["clinic-ops"]
              | .args = ($args | split(" ") | map(select(. != "")))
              | del(.ports, .startupProbe, .readinessProbe, .livenessProbe, .lifecycle)
            ]
        )
      }
    }
  }
