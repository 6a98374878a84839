#!/bin/sh
# Command of the mosquitto service (eclipse-mosquitto:2, busybox sh; also runs under dash).
#
# 1. Broker config = the repository's mosquitto.conf (shared with the tests) + production.conf
#    + `password_file` (authentication) and the dynamic-security plugin with a writable copy of
#    dynamic-security.json (who may publish, subscribe and receive what: generated with `acl`
#    by `ioc devices acl`; unlike acl_file, the plugin refuses SUBSCRIBEs, so no device can join
#    the collectors' $share group). MOSQUITTO_DYNSEC_PLUGIN names the plugin's .so if it is
#    not in /usr/lib (eclipse-mosquitto) or /usr/lib/<arch> (Debian).
# 2. Password file = the device credentials in deploy/mosquitto/passwd (`ioc devices add`) + the
#    service users: `collector-1`, `collector-2` and `healthcheck` (the compose healthcheck, no
#    topics) with MQTT_COLLECTOR_PASSWORD (required), and
#    `simulator` (MQTT_SIMULATOR_PASSWORD, only when set; then every catalogued device of the
#    ACL that has no password of its own logs in with it, for the simulator's per-device status connections — a demo
#    profile, never for a real deployment). Their hashes never live in the repository.
# 3. A TLS listener for devices (8883, beside the internal plain 1883) when the broker's
#    certificate is in the TLS folder (deploy/tls: the operator's own, or the self-signed one
#    the `certs` service makes on first start, see deploy/tls/README.md).
# 4. exec mosquitto with it.
#
# The paths default to where docker-compose.yml mounts the files; the tests point them at a
# temporary folder and pass --prepare-only (steps 1 and 2, then exit).
set -eu

base_conf=${MOSQUITTO_BASE_CONF:-/etc/ioc/mosquitto.conf}
deploy_dir=${MOSQUITTO_DEPLOY_DIR:-/etc/ioc/mosquitto}
run_dir=${MOSQUITTO_RUN_DIR:-/mosquitto/run}
tls_dir=${MOSQUITTO_TLS_DIR:-/etc/ioc/tls}

if [ -z "${MQTT_COLLECTOR_PASSWORD:-}" ]; then
  echo "start.sh: MQTT_COLLECTOR_PASSWORD is not set" >&2
  exit 2
fi

dynsec_plugin=${MOSQUITTO_DYNSEC_PLUGIN:-}
if [ -z "$dynsec_plugin" ]; then
  for candidate in /usr/lib/mosquitto_dynamic_security.so /usr/lib/*/mosquitto_dynamic_security.so; do
    if [ -f "$candidate" ]; then
      dynsec_plugin=$candidate
      break
    fi
  done
fi
if [ -z "$dynsec_plugin" ] || [ ! -f "$dynsec_plugin" ]; then
  echo "start.sh: mosquitto_dynamic_security.so not found (set MOSQUITTO_DYNSEC_PLUGIN)" >&2
  exit 2
fi

mkdir -p "$run_dir"
chmod 0700 "$run_dir"
umask 077
cp "$deploy_dir/passwd" "$run_dir/passwd"
cp "$deploy_dir/dynamic-security.json" "$run_dir/dynamic-security.json"
for user in collector-1 collector-2 healthcheck; do
  mosquitto_passwd -b "$run_dir/passwd" "$user" "$MQTT_COLLECTOR_PASSWORD"
done
if [ -n "${MQTT_SIMULATOR_PASSWORD:-}" ]; then
  mosquitto_passwd -b "$run_dir/passwd" simulator "$MQTT_SIMULATOR_PASSWORD"
  # Catalogued devices without credentials of their own (never overwriting a real one).
  for device in $(sed -n 's/^# device //p' "$deploy_dir/acl"); do
    if ! grep -q "^$device:" "$run_dir/passwd"; then
      mosquitto_passwd -b "$run_dir/passwd" "$device" "$MQTT_SIMULATOR_PASSWORD"
    fi
  done
fi

{
  cat "$base_conf"
  echo
  echo "# ---- $deploy_dir/production.conf"
  cat "$deploy_dir/production.conf"
  echo "password_file $run_dir/passwd"
  echo "plugin $dynsec_plugin"
  echo "plugin_opt_config_file $run_dir/dynamic-security.json"
} > "$run_dir/mosquitto.conf"

if [ -f "$tls_dir/broker.crt" ] && [ -f "$tls_dir/broker.key" ]; then
  cp "$tls_dir/broker.crt" "$tls_dir/broker.key" "$run_dir/"
  {
    echo "# ---- TLS listener for devices ($tls_dir)"
    echo "listener 8883"
    echo "certfile $run_dir/broker.crt"
    echo "keyfile $run_dir/broker.key"
  } >> "$run_dir/mosquitto.conf"
fi

# As root (the container), Mosquitto drops to its own user: let that user re-read the files.
if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
  chown -R mosquitto:mosquitto "$run_dir"
fi

if [ "${1:-}" = "--prepare-only" ]; then
  exit 0
fi
exec mosquitto -c "$run_dir/mosquitto.conf"
