package web

import "net/http"

// totpRoutes registers the second-factor pages of the account area.
func (s *Server) totpRoutes(member func(string, func(w http.ResponseWriter, r *http.Request, v *visit))) {
}
