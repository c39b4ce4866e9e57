//go:build !unix

package outbox

// oNoFollow is zero where the system has no O_NOFOLLOW; the checks around the open in
// openPrivate still refuse a symbolic link.
const oNoFollow = 0
