rm -rf '/tmp/dstplan-redis.46TpFA'
kill -CONT 2607 2>/dev/null; kill -9 2607 2>/dev/null
kill -CONT 2610 2>/dev/null; kill -9 2610 2>/dev/null
kill -CONT 2607 2>/dev/null
kill -CONT 2607 2>/dev/null
kill -CONT 2607 2>/dev/null
kill -CONT 3253 2>/dev/null; kill -9 3253 2>/dev/null
kill -CONT 3522 2>/dev/null; kill -9 3522 2>/dev/null
kill -CONT 3744 2>/dev/null; kill -9 3744 2>/dev/null
