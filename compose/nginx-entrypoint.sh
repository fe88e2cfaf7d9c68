#!/bin/sh
# The edge image's entrypoint: render compose/nginx.conf (the template) with envsubst,
# then run the command (nginx in the foreground).
#
# Every placeholder of the template must be set in the environment (the image sets the
# fixed ones, compose the upstreams); an unset one stops the container with its name
# rather than leaving an empty directive behind. Only the template's own names are
# substituted, so nginx's $variables survive.
set -eu

template="${NGINX_TEMPLATE:-/etc/streamstack/nginx.conf.template}"
output="${NGINX_CONF:-/etc/nginx/nginx.conf}"

# Body limits follow the services' settings: uploads get ingest's limit plus 1 MiB of
# multipart framing (compose/nginx_template.py: UPLOAD_FRAMING_BYTES).
: "${STREAMSTACK_MAX_UPLOAD_BYTES:=10737418240}"
: "${STREAMSTACK_MAX_REQUEST_BODY_BYTES:=1048576}"
MAX_UPLOAD_BODY_SIZE=$((STREAMSTACK_MAX_UPLOAD_BYTES + 1048576))
MAX_REQUEST_BODY_SIZE=$STREAMSTACK_MAX_REQUEST_BODY_BYTES
export MAX_UPLOAD_BODY_SIZE MAX_REQUEST_BODY_SIZE
# The sites that may frame a share link's embed page, as the services' setting says.
: "${STREAMSTACK_EMBED_ANCESTORS:=*}"
EMBED_ANCESTORS=$STREAMSTACK_EMBED_ANCESTORS
export EMBED_ANCESTORS

names=$(grep -o '\${[A-Z][A-Z0-9_]*}' "$template" | sort -u)
for name in $names; do
    var=${name#??}
    var=${var%?}
    if eval "[ -z \"\${$var+set}\" ]"; then
        echo "streamstack-nginx: $var is not set (needed by $template)" >&2
        exit 2
    fi
done
envsubst "$(echo $names)" <"$template" >"$output"

if [ "$#" -gt 0 ]; then
    exec "$@"
fi
