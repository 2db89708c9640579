#!/usr/bin/env bash
# kill -9 during ingest: a database holding version A (500 posts, titles marked
# " [A]") is copied, and a large generated set (4,000 posts, overlapping A's ids, so
# it both updates and adds) is ingested into the copy; the ingest is killed with
# SIGKILL after a random delay within the duration of one uninterrupted ingest
# (measured first), 20 times (an ingest that finished before its kill does not
# count; up to 10 more tries). After each kill `PRAGMA integrity_check` must say ok
# and the database must be exactly the old or the new state: its fingerprint (post
# count, tag and domain link counts, generation, and a SHA3 over every id:hash in id
# order; see lib.sh) equals the one of the untouched copy or of the completed ingest.
# Random moments mostly land before the commit (the ingest writes into the WAL all
# along and commits at the end), so 3 more kills aim at the end: each comes the
# moment the main database file starts to grow, i.e. while the checkpoint after the
# commit copies the WAL back; those must give the new state.
# Finally the last killed copy is ingested again and must reach the new state.
# Then a first ingest (no database yet) is killed KILL9_FIRST (8) times at random
# moments: the path must hold nothing or the complete database, and the next
# ingest must complete and leave no side file.
#
#   tests/reliability/kill9.sh [POSTD]     (default build/postd)
# Environment: KILL9_POSTS (4000), KILL9_RUNS (20), KILL9_LATE (3), KILL9_FIRST (8).
. "$(dirname "$0")/lib.sh"
rel_init kill9 "$@"

big_n=${KILL9_POSTS:-4000}
runs=${KILL9_RUNS:-20}
late=${KILL9_LATE:-3}

make_versions 500 "$WORK" || { bad "cannot make version A"; rel_finish; }
rm -rf "$WORK/B"
"$POSTD_GEN" --count "$big_n" --seed 7 --out "$WORK/big" >/dev/null || exit 1
setup_ingest "$WORK/base.db" "$WORK/A" "$WORK/base.log" "ingest of version A failed"
[ ! -e "$WORK/base.db-wal" ] || sqlite3 "$WORK/base.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
old=$(fingerprint "$WORK/base.db")

# fresh_copy DB: the version-A database at DB, without WAL or shared-memory files.
fresh_copy() {
    rm -f "$1" "$1-wal" "$1-shm" "$1-journal"
    cp "$WORK/base.db" "$1"
}

fresh_copy "$WORK/ref.db"
t0=$(now_ms)
"$POSTD" ingest --config /dev/null --db "$WORK/ref.db" "$WORK/big" >"$WORK/ref.log" 2>&1
rc=$?
dur_ms=$(($(now_ms) - t0))
[ "$rc" -le 1 ] || { cat "$WORK/ref.log"; bad "the uninterrupted ingest failed ($rc)"; rel_finish; }
new=$(fingerprint "$WORK/ref.db")
log "old state: $old"
log "new state: $new (one ingest: $dur_ms ms: $(tail -n 1 "$WORK/ref.log"))"
check "the ingest changes the fingerprint" test "$old" != "$new"

n_old=0
n_new=0
n_bad=0
n_done=0
delays=()
base_size=$(stat -c %s "$WORK/base.db")
# trial N MODE: one killed ingest; MODE random (sleep a random part of the measured
# duration) or late (kill when the main file grows past its size before the ingest).
trial() {
    local n=$1 mode=$2 db=$WORK/trial.db delay pid finished=0 integrity fp state t_start
    fresh_copy "$db"
    "$POSTD" ingest --config /dev/null --db "$db" "$WORK/big" >"$WORK/trial.log" 2>&1 &
    pid=$!
    track "$pid"
    t_start=$(now_ms)
    if [ "$mode" = random ]; then
        delay=$((((RANDOM << 15) | RANDOM) % (dur_ms * 95 / 100)))
        sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
    else
        SECONDS=0
        while kill -0 "$pid" 2>/dev/null &&
            [ "$(stat -c %s "$db" 2>/dev/null || echo 0)" -le "$base_size" ] &&
            [ "$SECONDS" -lt $((dur_ms * 3 / 1000 + 10)) ]; do
            sleep 0.02
        done
        delay=$(($(now_ms) - t_start))
    fi
    delays+=("$delay")
    kill -0 "$pid" 2>/dev/null || finished=1
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null
    forget "$pid"
    [ "$finished" = 1 ] && n_done=$((n_done + 1))
    integrity=$(sqlite3 "$db" 'PRAGMA integrity_check;' 2>&1 | head -n 5)
    fp=$(fingerprint "$db")
    state=other
    [ "$fp" = "$old" ] && state=old && n_old=$((n_old + 1))
    [ "$fp" = "$new" ] && state=new && n_new=$((n_new + 1))
    if [ "$integrity" != ok ] || [ "$state" = other ]; then
        n_bad=$((n_bad + 1))
        bad "kill $n ($mode) after $delay ms: integrity '$integrity', state $state ($fp)"
        cp "$db" "$WORK/bad-$n.db" 2>/dev/null || true
    else
        log "kill $n ($mode) after $delay ms: integrity ok, $state state$([ "$finished" = 1 ] && echo ' (had finished)')"
    fi
    [ "$mode" = late ] && [ "$state" = new ] && [ "$finished" = 0 ] && late_new=$((late_new + 1))
    [ "$finished" = 0 ] && kills=$((kills + 1))
    return 0
}
late_new=0
kills=0
n=0
while [ "$kills" -lt "$runs" ] && [ "$n" -lt $((runs + 10)) ]; do
    n=$((n + 1))
    trial "$n" random
done
random_kills=$kills
for _ in $(seq "$late"); do
    n=$((n + 1))
    trial "$n" late
done

rc=0
"$POSTD" ingest --config /dev/null --db "$WORK/trial.db" "$WORK/big" >"$WORK/again.log" 2>&1 || rc=$?
again=$(fingerprint "$WORK/trial.db")

# A first ingest (no database yet) builds the file beside its path and moves it
# there when done (store.h, STORE_NEW): killed at any moment, the path holds
# nothing or the complete database, and the next ingest starts over.
first=$WORK/first.db
rm -f "$first" "$first-new" "$first-fts"
t0=$(now_ms)
"$POSTD" ingest --config /dev/null --db "$first" "$WORK/big" >"$WORK/first.log" 2>&1
first_ms=$(($(now_ms) - t0))
first_new=$(fingerprint "$first")
first_runs=${KILL9_FIRST:-8}
first_absent=0
first_bad=0
first_delays=()
for i in $(seq "$first_runs"); do
    rm -f "$first" "$first-wal" "$first-shm"
    "$POSTD" ingest --config /dev/null --db "$first" "$WORK/big" >"$WORK/first-trial.log" 2>&1 &
    pid=$!
    track "$pid"
    delay=$((((RANDOM << 15) | RANDOM) % (first_ms * 95 / 100)))
    first_delays+=("$delay")
    sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null
    forget "$pid"
    if [ ! -e "$first" ]; then
        first_absent=$((first_absent + 1))
        log "first ingest kill $i after $delay ms: no database at the path"
    elif [ "$(sqlite3 "$first" 'PRAGMA integrity_check;' 2>&1)" = ok ] &&
        [ "$(fingerprint "$first")" = "$first_new" ]; then
        log "first ingest kill $i after $delay ms: the complete database"
    else
        first_bad=$((first_bad + 1))
        bad "first ingest kill $i after $delay ms: a database that is not the complete one"
    fi
done
rm -f "$first" "$first-wal" "$first-shm"
first_rc=0
"$POSTD" ingest --config /dev/null --db "$first" "$WORK/big" >"$WORK/first-again.log" 2>&1 ||
    first_rc=$?
first_again=$(fingerprint "$first")
# its search index was built apart and copied in at publish (store_fts.c)
first_fts=$(sqlite3 "$first" "INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check');
    SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'the';" 2>&1)

figure "$random_kills kills -9 at random moments and $((kills - random_kills)) in the" \
    "checkpoint (after ${delays[*]} ms) of a $dur_ms ms ingest of $big_n posts into a" \
    "500-post db: $((n - n_bad)) of $n survived ($n_old old state, $n_new new state;" \
    "$n_done had finished before the kill), $n_bad corrupt or mixed"
check "every killed database passed integrity_check and was the old or new state ($n_bad bad)" \
    test "$n_bad" = 0
check "$random_kills of $runs random kills hit a running ingest" test "$random_kills" = "$runs"
check "kills landed before the commit (old state: $n_old)" test "$n_old" -gt 0
check "kills in the checkpoint kept the commit ($late_new of $late new state)" \
    test "$late_new" = "$late"
check "ingest after the last kill reaches the new state (exit $rc)" \
    test "$rc" -le 1 -a "$again" = "$new"
figure "$first_runs kills -9 of a first ingest (after ${first_delays[*]} ms of a $first_ms ms" \
    "ingest): $first_absent left no database, $((first_runs - first_absent - first_bad))" \
    "the complete one, $first_bad anything else"
check "killed first ingests left no database or the complete one ($first_bad bad)" \
    test "$first_bad" = 0
check "kills landed while the first ingest was building ($first_absent of $first_runs)" \
    test "$first_absent" -gt 0
check "the next first ingest completes (exit $first_rc) and no side file is left" \
    test "$first_rc" -le 1 -a "$first_again" = "$first_new" -a ! -e "$first-new" -a ! -e "$first-fts"
check "its search index passes FTS5's integrity-check and finds posts ($first_fts)" \
    test "$first_fts" -gt 0 2>/dev/null
rel_finish
