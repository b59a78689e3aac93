/**
 * @module The agent package's maintainer scripts (POSIX sh), used as the deb's postinst/prerm/postrm
 * and run by the tar's install.sh/uninstall.sh with the same arguments. They tolerate hosts where
 * systemd is not PID 1 (containers): systemctl is only called when /run/systemd/system exists, and
 * the unit is enabled with deb-systemd-helper where there is one (it works without systemd running).
 * State (/var/lib/rampart-agent: identity, key, outbox, KEV copy) survives remove and upgrade; purge
 * deletes it, the configuration and the service account.
 */
import { AGENT_PATHS } from './package-spec.js';

const P = AGENT_PATHS;
const SYSTEMD_UP = `[ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1`;

export function renderPostinst(): string {
  return `#!/bin/sh
# rampart-agent postinst: service account, state directory, configuration owners, enable + (re)start.
set -e
case "$1" in
  configure|abort-upgrade|abort-remove|abort-deconfigure) ;;
  *) exit 0 ;;
esac
if ! getent passwd ${P.user} >/dev/null 2>&1; then
  if [ -f /etc/debian_version ] && command -v adduser >/dev/null 2>&1; then
    adduser --system --group --quiet --home ${P.stateDir} --no-create-home --shell /usr/sbin/nologin --gecos "Rampart compliance agent" ${P.user}
  else
    useradd --system --user-group --home-dir ${P.stateDir} --no-create-home --shell /sbin/nologin --comment "Rampart compliance agent" ${P.user}
  fi
fi
# State: identity, key, acknowledged state, outbox. Never touched by upgrades.
install -d -m 0700 -o ${P.user} -g ${P.user} ${P.stateDir}
if [ -d ${P.stateDir}/outbox ]; then chown -R ${P.user}:${P.user} ${P.stateDir}; fi
chown root:${P.user} ${P.envFile}
chmod 0640 ${P.envFile}
if [ -f ${P.localEnvFile} ]; then chown root:${P.user} ${P.localEnvFile}; chmod 0640 ${P.localEnvFile}; fi
# deb-systemd-helper works only under dpkg; rpm scriptlets and the tar's install.sh use systemctl,
# which can enable a unit without a running systemd (image builds, containers).
if [ -n "\${DPKG_MAINTSCRIPT_PACKAGE:-}" ] && command -v deb-systemd-helper >/dev/null 2>&1; then
  deb-systemd-helper unmask ${P.service} >/dev/null || true
  deb-systemd-helper enable ${P.service} >/dev/null || true
elif command -v systemctl >/dev/null 2>&1; then
  systemctl enable ${P.service} >/dev/null 2>&1 || true
fi
if ${SYSTEMD_UP}; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  if [ -n "$2" ]; then systemctl restart ${P.service} || true; else systemctl start ${P.service} || true; fi
else
  echo "rampart-agent: systemd is not running here; start the agent with: ${P.launcher}" >&2
fi
exit 0
`;
}

export function renderPrerm(): string {
  return `#!/bin/sh
# rampart-agent prerm: stop the agent before its files go (not on upgrade: postinst restarts it).
set -e
if [ "$1" = remove ] || [ "$1" = deconfigure ]; then
  if ${SYSTEMD_UP}; then
    systemctl stop ${P.service} >/dev/null 2>&1 || true
  elif [ -f ${P.stateDir}/agent.lock ]; then
    # No systemd: stop an agent started by hand, if the lock names a live rampart-agent process.
    pid=$(head -n1 ${P.stateDir}/agent.lock 2>/dev/null || true)
    case "$pid" in
      ''|*[!0-9]*) ;;
      *) if [ -r /proc/$pid/cmdline ] && tr '\\0' ' ' </proc/$pid/cmdline | grep -q rampart-agent; then kill -TERM "$pid" 2>/dev/null || true; fi ;;
    esac
  fi
fi
exit 0
`;
}

export function renderPostrm(): string {
  return `#!/bin/sh
# rampart-agent postrm: remove leaves only the state directory; purge removes it too.
set -e
case "$1" in
  remove|purge)
    if [ -n "\${DPKG_MAINTSCRIPT_PACKAGE:-}" ] && command -v deb-systemd-helper >/dev/null 2>&1; then
      deb-systemd-helper purge ${P.service} >/dev/null 2>&1 || true
    fi
    rm -f /etc/systemd/system/multi-user.target.wants/${P.service}
    if ${SYSTEMD_UP}; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
    ;;
esac
if [ "$1" = purge ]; then
  rm -rf ${P.stateDir} ${P.etcDir}
  if getent passwd ${P.user} >/dev/null 2>&1; then
    if command -v deluser >/dev/null 2>&1; then deluser --quiet --system ${P.user} >/dev/null 2>&1 || true; else userdel ${P.user} >/dev/null 2>&1 || true; fi
  fi
  if getent group ${P.user} >/dev/null 2>&1; then
    if command -v delgroup >/dev/null 2>&1; then delgroup --quiet --system ${P.user} >/dev/null 2>&1 || true; else groupdel ${P.user} >/dev/null 2>&1 || true; fi
  fi
fi
exit 0
`;
}
