package web

// hostRoutes registers the administrators' pages for machine access
// under /admin/hosts.
func (s *Server) hostRoutes(admin routeFunc) {
}
