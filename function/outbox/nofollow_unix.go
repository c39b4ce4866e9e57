//go:build unix

package outbox

import "syscall"

// oNoFollow makes opening the outbox fail when its last path element is a symbolic link.
const oNoFollow = syscall.O_NOFOLLOW
