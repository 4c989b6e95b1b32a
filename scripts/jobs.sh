#!/usr/bin/env bash
# fp8sa's job runner (docs/scale-out.md): runs a job list on the local cores
# (the default) or as one Slurm job array, skips the jobs whose results
# exist (resume), lists the failures with a one-line command each, and runs
# the list's merge step when every job passed.
#
# A job list is text, one job per line: "ID COMMAND". ID is [A-Za-z0-9._+-]+,
# starts with a letter or digit, and is unique; COMMAND is one bash command line, run in the list's root folder
# with OUT (the job's own folder, RESULTS/jobs/ID, made empty for it),
# RESULTS (the results folder) and CPUS (the CPUs it may use) set. A job has
# passed when its command exits 0: RESULTS/jobs/ID/ok then holds its time
# and host, and RESULTS/jobs/ID/log its output. Lines starting with '#' are
# comments, except the headers "# root: DIR" (absolute: where commands run)
# and "# merge: COMMAND" (run in the root with RESULTS set after all jobs
# passed; it writes the list's outputs). scripts/joblist.sh writes the lists
# of make regress, make explore and make synth.
#
# usage: scripts/jobs.sh run LIST RESULTS [options]   run what is not done, then merge
#          --sched local|slurm    where (default: $SCHED, else local)
#          -j N                   local: jobs at once (default: nproc)
#          --partition P --time T --mem M --cpus-per-task N --account A
#                                 slurm: sbatch's options of the same names
#          --sbatch-opt OPT       slurm: one more sbatch option (repeatable)
#          --no-wait              slurm: submit and return (run again to merge)
#          --no-merge             do not run the merge step
#        scripts/jobs.sh merge RESULTS     the merge step alone
#        scripts/jobs.sh status RESULTS    done / failed / pending counts, job times, failures
#        scripts/jobs.sh exec RESULTS ID   one job (what each array task runs)
# RESULTS holds a copy of the list (RESULTS/jobs.list). Run with another
# list, the folder's earlier results are removed first (only a folder this
# script made: one with a jobs.list, or an empty one). On Slurm, RESULTS and
# the root must be on a filesystem every node sees, at the same path.
# Exit status: 0 all passed (and merged), 1 a job or the merge failed, 2 a
# bad command line or list.
set -uo pipefail
self=$(realpath "$0")
die() { echo "jobs.sh: $*" >&2; exit 2; }

# header LIST NAME: the value of "# NAME: value" (first one).
header() { sed -n "s/^# $2: //p" "$1" | head -1; }
# ids LIST: the job IDs in list order.
ids() { awk '!/^#/ && NF > 0 {print $1}' "$1"; }

check_list() {
  local list=$1 root bad
  [ -f "$list" ] || die "no job list '$list'"
  root=$(header "$list" root)
  [ -n "$root" ] || die "$list: no '# root: DIR' line"
  [ -d "$root" ] || die "$list: root '$root' is not a folder"
  bad=$(awk '!/^#/ && NF > 0 && ($1 !~ /^[A-Za-z0-9][A-Za-z0-9._+-]*$/ || NF < 2) {print NR; exit}' "$list")
  [ -z "$bad" ] || die "$list:$bad: expected 'ID COMMAND' with ID of [A-Za-z0-9._+-], starting with a letter or digit"
  bad=$(ids "$list" | sort | uniq -d | head -1)
  [ -z "$bad" ] || die "$list: job ID '$bad' appears twice"
  [ "$(ids "$list" | wc -l)" -gt 0 ] || die "$list: no jobs"
}

# reproduce RESULTS ID: the one line that reruns the job by hand.
reproduce() {
  local r=$1 id=$2 root cmd
  root=$(header "$r/jobs.list" root)
  cmd=$(awk -v id="$id" '!/^#/ && $1 == id {sub(/^[^ \t]+[ \t]+/, ""); print; exit}' "$r/jobs.list")
  local qc; qc=$(printf '%q' "$cmd")
  [[ $cmd == *"'"* ]] || qc="'$cmd'"
  printf 'cd %q && OUT=%q RESULTS=%q CPUS=1 bash -c %s\n' "$root" "$r/jobs/$id" "$r" "$qc"
}

cmd_exec() {
  local r=$1 id=$2 root cmd out t0 rc dt
  r=$(realpath "$r")
  root=$(header "$r/jobs.list" root)
  cmd=$(awk -v id="$id" '!/^#/ && $1 == id {sub(/^[^ \t]+[ \t]+/, ""); print; exit}' "$r/jobs.list")
  [ -n "$cmd" ] || die "no job '$id' in $r/jobs.list"
  out=$r/jobs/$id
  rm -rf "$out" && mkdir -p "$out" || die "cannot make $out"
  t0=$(date +%s%N)
  (cd "$root" && OUT=$out RESULTS=$r CPUS=${SLURM_CPUS_PER_TASK:-${CPUS:-1}} bash -c "$cmd") > "$out/log" 2>&1
  rc=$?
  dt=$((($(date +%s%N) - t0) / 1000000))
  # CPU time of the job (user + system of this shell's children: the job).
  local cpu
  times > "$out/times.tmp"
  cpu=$(tail -1 "$out/times.tmp" | awk '{ s = 0; for (i = 1; i <= 2; ++i) { split($i, a, "m"); s += a[1] * 60 + a[2] } printf "%.3f", s }')
  rm -f "$out/times.tmp"
  printf 'seconds=%d.%03d cpu=%s host=%s start=%d rc=%d\n' $((dt / 1000)) $((dt % 1000)) "$cpu" "$(hostname -s)" \
    $((t0 / 1000000000)) "$rc" > "$out/status.tmp"
  if [ $rc -eq 0 ]; then mv "$out/status.tmp" "$out/ok"; else mv "$out/status.tmp" "$out/failed"; fi
  return $rc
}

# pending RESULTS: the IDs without an ok file, in list order.
pending() { local id; ids "$1/jobs.list" | while read -r id; do [ -f "$1/jobs/$id/ok" ] || echo "$id"; done; }

# report RESULTS: writes RESULTS/failures.txt; prints the failures; 0 if none.
report() {
  local r=$1 id n=0 why
  : > "$r/failures.txt"
  while read -r id; do
    n=$((n + 1))
    if [ -f "$r/jobs/$id/failed" ]; then why="failed ($(cat "$r/jobs/$id/failed"))"; else why="did not finish"; fi
    echo "$id: $why; log $r/jobs/$id/log; reproduce: $(reproduce "$r" "$id")" >> "$r/failures.txt"
  done < <(pending "$r")
  if [ $n -gt 0 ]; then
    echo "jobs: $n of $(ids "$r/jobs.list" | wc -l) jobs not passed (list in $r/failures.txt):"
    while read -r id; do
      grep "^$id: " "$r/failures.txt"
      [ ! -f "$r/jobs/$id/log" ] || tail -5 "$r/jobs/$id/log" | sed 's/^/    /'
    done < <(pending "$r" | head -20)
    [ $n -le 20 ] || echo "(and $((n - 20)) more in $r/failures.txt)"
    return 1
  fi
  rm -f "$r/failures.txt"
}

cmd_merge() {
  local r root m
  r=$(realpath "$1")
  root=$(header "$r/jobs.list" root)
  m=$(header "$r/jobs.list" merge)
  [ -n "$m" ] || { echo "jobs: the list has no merge step"; return 0; }
  (cd "$root" && RESULTS=$r bash -c "$m") || { echo "jobs: the merge step failed: cd $root && RESULTS=$r bash -c '$m'"; return 1; }
}

cmd_status() {
  local r=$1 all done_ failed
  [ -f "$r/jobs.list" ] || die "no $r/jobs.list"
  all=$(ids "$r/jobs.list" | wc -l)
  done_=$(ids "$r/jobs.list" | while read -r id; do [ -f "$r/jobs/$id/ok" ] && echo; done | wc -l)
  failed=$(ids "$r/jobs.list" | while read -r id; do [ -f "$r/jobs/$id/failed" ] && echo; done | wc -l)
  echo "jobs: $all in the list, $done_ passed, $failed failed, $((all - done_ - failed)) not run"
  # The passed jobs' times (each ok file: seconds=S cpu=C host=H start=T rc=0).
  ids "$r/jobs.list" | while read -r id; do [ ! -f "$r/jobs/$id/ok" ] || cat "$r/jobs/$id/ok"; done |
    sed 's/[a-z]*=//g' | sort -n | awk 'NF >= 2 { w[++n] = $1; s += $1; c += $2 }
      END { if (n) printf "jobs: times of the %d passed: %.2f s in all (min %.3f, median %.3f, max %.3f), CPU %.2f s\n", n, s, w[1], w[int((n + 1) / 2)], w[n], c }'
  [ "$done_" -eq "$all" ] || report "$r"
}

cmd_run() {
  local list=$1 r=$2; shift 2
  local sched=${SCHED:-local} j; j=$(nproc)
  local merge=1 wait=1 sopts=() cpt=1
  while [ $# -gt 0 ]; do
    case $1 in
      --sched) sched=$2; shift 2 ;;
      -j) j=$2; shift 2 ;;
      --partition|--time|--mem|--account) sopts+=("$1=$2"); shift 2 ;;
      --cpus-per-task) cpt=$2; shift 2 ;;
      --sbatch-opt) sopts+=("$2"); shift 2 ;;
      --no-wait) wait=0; shift ;;
      --no-merge) merge=0; shift ;;
      *) die "unknown option '$1' (see the usage in $self)" ;;
    esac
  done
  case $sched in local|slurm) ;; *) die "--sched '$sched': expected local or slurm" ;; esac
  [[ $j =~ ^[1-9][0-9]*$ ]] || die "-j '$j': expected a positive number"
  [[ $cpt =~ ^[1-9][0-9]*$ ]] || die "--cpus-per-task '$cpt': expected a positive number"
  check_list "$list"
  mkdir -p "$r" || die "cannot make '$r'"
  r=$(realpath "$r")
  if ! cmp -s "$list" "$r/jobs.list"; then
    if [ -f "$r/jobs.list" ]; then
      echo "jobs: $r holds the results of another list: removed"
    elif [ -n "$(ls -A "$r")" ]; then
      die "'$r' is not empty and holds no jobs.list: not a results folder of this script"
    fi
    rm -rf "$r/jobs" "$r/slurm" "$r/failures.txt" "$r/cache"
    cp "$list" "$r/jobs.list"
  fi
  # An array of this folder still queued or running would run its jobs twice.
  local last; last=$(cat "$r/slurm/last-array" 2>/dev/null)
  if [ -n "$last" ] && command -v squeue > /dev/null && [ -n "$(squeue -h -j "$last" -o %i 2>/dev/null)" ]; then
    die "the Slurm array $last of $r is still queued or running (scancel $last, or run again when it has finished)"
  fi
  local all todo n
  all=$(ids "$r/jobs.list" | wc -l)
  todo=$(pending "$r")
  n=$(printf '%s' "$todo" | grep -c . || true)
  echo "jobs: $all jobs, $((all - n)) done before, $n to run ($sched)"
  SECONDS=0
  if [ "$n" -gt 0 ] && [ "$sched" = local ]; then
    local c=$(( $(nproc) / j )); [ $c -ge 1 ] || c=1
    printf '%s\n' "$todo" | CPUS=$c xargs -P "$j" -I{} sh -c '
      if "$1" exec "$2" "$3"; then echo "ok   $3 ($(sed "s/ .*//" "$2/jobs/$3/ok"))"; else echo "FAIL $3"; fi' \
      sh "$self" "$r" {}
  elif [ "$n" -gt 0 ]; then
    command -v sbatch > /dev/null || die "no sbatch (Slurm's client) on this machine"
    local tag; tag=$(date +%Y%m%d-%H%M%S)-$$
    mkdir -p "$r/slurm"
    printf '%s\n' "$todo" > "$r/slurm/pending.$tag"
    cat > "$r/slurm/array.$tag.sh" <<EOF
#!/usr/bin/env bash
# One task of the array: job number SLURM_ARRAY_TASK_ID of pending.$tag.
id=\$(sed -n "\$((SLURM_ARRAY_TASK_ID + 1))p" "$r/slurm/pending.$tag")
exec "$self" exec "$r" "\$id"
EOF
    chmod +x "$r/slurm/array.$tag.sh"
    local sb=(sbatch --parsable --array="0-$((n - 1))" --job-name=fp8sa-jobs --cpus-per-task="$cpt"
              --output="$r/slurm/%A_%a.out" "${sopts[@]}")
    echo "jobs: ${sb[*]} $r/slurm/array.$tag.sh"
    local jid
    jid=$("${sb[@]}" "$r/slurm/array.$tag.sh") || { echo "jobs: sbatch failed"; return 1; }
    jid=${jid%%;*}
    echo "$jid" > "$r/slurm/last-array"
    if [ $wait -eq 0 ]; then
      echo "jobs: submitted array $jid ($n tasks); when it has finished: $self run $list $r --sched slurm"
      return 0
    fi
    # Wait until no task of the array is queued or running (squeue every
    # second for a minute, then every 10 s).
    local polls=0
    while [ -n "$(squeue -h -j "$jid" -o %i 2>/dev/null)" ]; do
      if [ $polls -lt 60 ]; then sleep 1; else sleep 10; fi
      polls=$((polls + 1))
    done
    echo "jobs: array $jid finished"
  fi
  [ "$n" -eq 0 ] || echo "jobs: $n jobs in $SECONDS s"
  report "$r" || return 1
  [ $merge -eq 0 ] || cmd_merge "$r"
}

case ${1:-} in
  run) [ $# -ge 3 ] || die "usage: jobs.sh run LIST RESULTS [options]"; shift; cmd_run "$@" ;;
  exec) [ $# -eq 3 ] || die "usage: jobs.sh exec RESULTS ID"; cmd_exec "$2" "$3" ;;
  merge) [ $# -eq 2 ] || die "usage: jobs.sh merge RESULTS"; cmd_merge "$2" ;;
  status) [ $# -eq 2 ] || die "usage: jobs.sh status RESULTS"; cmd_status "$2" ;;
  -h|--help) sed -n '2,36p' "$0" ;;
  *) die "usage: jobs.sh run|merge|status|exec ... (--help)" ;;
esac
