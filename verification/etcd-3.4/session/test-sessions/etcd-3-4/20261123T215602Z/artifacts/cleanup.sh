# undo commands, appended before each fault; run after a crash of run.sh
rm -rf '/tmp/dstplan-etcd.rleAGm'
kill -CONT 7592 2>/dev/null; kill -9 7592 2>/dev/null
kill -CONT 7593 2>/dev/null; kill -9 7593 2>/dev/null
kill -CONT 7594 2>/dev/null; kill -9 7594 2>/dev/null
kill -CONT 7594 2>/dev/null
kill -CONT 8151 2>/dev/null; kill -9 8151 2>/dev/null
kill -CONT 7592 2>/dev/null
kill -CONT 8503 2>/dev/null; kill -9 8503 2>/dev/null
kill -CONT 8151 2>/dev/null
kill -CONT 8910 2>/dev/null; kill -9 8910 2>/dev/null
kill -CONT 8503 2>/dev/null
kill -CONT 9261 2>/dev/null; kill -9 9261 2>/dev/null
kill -CONT 7593 2>/dev/null
kill -CONT 9671 2>/dev/null; kill -9 9671 2>/dev/null
kill -CONT 8910 2>/dev/null
kill -CONT 10026 2>/dev/null; kill -9 10026 2>/dev/null
kill -CONT 9671 2>/dev/null
kill -CONT 10026 2>/dev/null
kill -CONT 10026 2>/dev/null
kill -CONT 9671 2>/dev/null
kill -CONT 9671 2>/dev/null
kill -CONT 10026 2>/dev/null
kill -CONT 9261 2>/dev/null
kill -CONT 9671 2>/dev/null
kill -CONT 10026 2>/dev/null
kill -CONT 19252 2>/dev/null; kill -9 19252 2>/dev/null
kill -CONT 19253 2>/dev/null; kill -9 19253 2>/dev/null
kill -CONT 19254 2>/dev/null; kill -9 19254 2>/dev/null
kill -CONT 19252 2>/dev/null
kill -CONT 19253 2>/dev/null
kill -CONT 19254 2>/dev/null
kill -CONT 19743 2>/dev/null; kill -9 19743 2>/dev/null
kill -CONT 19744 2>/dev/null; kill -9 19744 2>/dev/null
kill -CONT 19745 2>/dev/null; kill -9 19745 2>/dev/null
kill -CONT 19743 2>/dev/null
kill -CONT 19744 2>/dev/null
kill -CONT 19745 2>/dev/null
kill -CONT 20458 2>/dev/null; kill -9 20458 2>/dev/null
kill -CONT 20459 2>/dev/null; kill -9 20459 2>/dev/null
kill -CONT 20460 2>/dev/null; kill -9 20460 2>/dev/null
kill -CONT 20458 2>/dev/null
kill -CONT 20459 2>/dev/null
kill -CONT 20460 2>/dev/null
kill -CONT 21023 2>/dev/null; kill -9 21023 2>/dev/null
kill -CONT 21024 2>/dev/null; kill -9 21024 2>/dev/null
kill -CONT 21025 2>/dev/null; kill -9 21025 2>/dev/null
kill -CONT 21023 2>/dev/null
kill -CONT 21024 2>/dev/null
kill -CONT 21025 2>/dev/null
kill -CONT 21687 2>/dev/null; kill -9 21687 2>/dev/null
kill -CONT 21688 2>/dev/null; kill -9 21688 2>/dev/null
kill -CONT 21689 2>/dev/null; kill -9 21689 2>/dev/null
kill -CONT 21687 2>/dev/null
kill -CONT 21688 2>/dev/null
kill -CONT 21689 2>/dev/null
kill -CONT 22249 2>/dev/null; kill -9 22249 2>/dev/null
kill -CONT 22250 2>/dev/null; kill -9 22250 2>/dev/null
kill -CONT 22251 2>/dev/null; kill -9 22251 2>/dev/null
