package devstack

import "syscall"

// procAttr puts a child in its own process group, so a terminal's Ctrl-C
// reaches only ktrdr up (which stops children in order), and asks the kernel
// to SIGTERM the child should ktrdr up die without cleaning up.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
