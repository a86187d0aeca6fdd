package web

import "net/http"

type routeFunc func(pattern string, h func(w http.ResponseWriter, r *http.Request, v *visit))

// totpRoutes registers the second-factor pages: the member's own under
// /account/totp, the administrators' under /admin.
func (s *Server) totpRoutes(member, admin routeFunc) {
}
