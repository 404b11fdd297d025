# Sourced by the benchmarks that run a checkout's server distribution: start_launcher CHECKOUT PORT LOG starts
# CHECKOUT/serve/target/digits-server (with JAVA_OPTS) on 127.0.0.1:PORT, its output to LOG, sets pid to its
# process — the launcher execs java, so this is the JVM's, whose CPU time /proc gives — and returns once /health
# answers; if the server exits first, its log goes to stderr and the calling script exits.
start_launcher() {
  "$1/serve/target/digits-server" --host 127.0.0.1 --port "$2" > "$3" 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:$2/health" > /dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$3" >&2; exit 1; }
    sleep 0.1
  done
}
