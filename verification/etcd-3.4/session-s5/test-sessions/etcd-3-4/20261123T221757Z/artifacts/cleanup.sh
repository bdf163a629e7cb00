# undo (run inside: ip netns exec dstplan-etcd-s5 …); deleting the namespace also drops its rules
iptables -F INPUT; iptables -F OUTPUT
rm -rf '/tmp/dstplan-etcd-s5.I3SqAU'
kill -CONT 22760 2>/dev/null; kill -9 22760 2>/dev/null
kill -CONT 22764 2>/dev/null; kill -9 22764 2>/dev/null
kill -CONT 22768 2>/dev/null; kill -9 22768 2>/dev/null
