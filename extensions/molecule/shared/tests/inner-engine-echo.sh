# Run by the install scenarios' testinfra tests on a host (host.check_output):
# no registry here, so make a one-binary image inside the host and run it.
# --network none: Engine 26 disables IPv6 on a bridge veth through /proc/sys,
# which is read-only in an unprivileged lab container.
set -e
d=$(mktemp -d)
for f in /usr/bin/echo $(ldd /usr/bin/echo | grep -o '/[^ ]*'); do cp --parents "$f" "$d"; done
tar -C "$d" -c . | docker import - lab/echo:1 >/dev/null
docker run --rm --network none lab/echo:1 /usr/bin/echo hello-from-the-inner-engine
