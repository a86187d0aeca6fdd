package main

import (
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"pelote/internal/openid"
)

// listFlag collects a repeatable flag (--redirect-uri A --redirect-uri B);
// commas also separate values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// withOpenID is with() for the verbs that need the OpenID store.
func (c *cli) withOpenID(f *flags, args []string, want int, names string, fn func(pos []string, st *openid.Store) error) error {
	pos, err := f.parse(args, want, names)
	if err != nil {
		return err
	}
	_, db, _, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(pos, c.app.oidc)
}

func (c *cli) clientRm(args []string) error {
	f := c.flags("client rm", false)
	return c.withOpenID(f, args, 1, "one client id", func(pos []string, st *openid.Store) error {
		if err := st.DeleteClient(c.ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "client %s removed, with its grants and tokens\n", pos[0])
		return nil
	})
}

func (c *cli) clientRotateSecret(args []string) error {
	f := c.flags("client rotate-secret", true)
	return c.withOpenID(f, args, 1, "one client id", func(pos []string, st *openid.Store) error {
		secret, err := st.RotateSecret(c.ctx, pos[0])
		if err != nil {
			return err
		}
		return c.printSecret(*f.json, pos[0], secret)
	})
}

type clientJSON struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret,omitempty"`
	Service      string   `json:"service"`
	Public       bool     `json:"public"`
	RedirectURIs []string `json:"redirect_uris"`
	PostLogout   []string `json:"post_logout_redirect_uris,omitempty"`
	Backchannel  string   `json:"backchannel_logout_uri,omitempty"`
	GrantTypes   []string `json:"grant_types"`
	Scopes       []string `json:"scopes,omitempty"`
	SigningAlg   string   `json:"signing_alg"`
	AccessToken  string   `json:"access_token_type"`
	RequirePKCE  bool     `json:"require_pkce"`
	FirstParty   bool     `json:"first_party"`
	Groups       []string `json:"groups,omitempty"`
}

func toJSON(cl openid.Client, secret string) clientJSON {
	return clientJSON{ClientID: cl.ID, ClientSecret: secret, Service: cl.Service, Public: cl.Public, RedirectURIs: cl.RedirectURIs,
		PostLogout: cl.PostLogoutURIs, Backchannel: cl.BackchannelLogoutURI, GrantTypes: cl.GrantTypes, Scopes: cl.ExtraScopes,
		SigningAlg: cl.SigningAlg, AccessToken: cl.AccessTokenType, RequirePKCE: cl.RequirePKCE, FirstParty: cl.FirstParty, Groups: cl.Groups}
}

func (c *cli) printSecret(asJSON bool, id, secret string) error {
	if asJSON {
		return c.printJSON(clientJSON{ClientID: id, ClientSecret: secret})
	}
	fmt.Fprintf(c.stdout, "client_id:     %s\nclient_secret: %s\n\nThe secret is shown once and stored hashed: copy it into the application now.\n", id, secret)
	return nil
}

func (c *cli) clientSave(args []string, create bool) error {
	verb := map[bool]string{true: "add", false: "set"}[create]
	f := c.flags("client "+verb, true)
	var redirects, postLogout, scopes, groups, grants listFlag
	f.Var(&redirects, "redirect-uri", "allowed redirect URI, exact match (repeat for several)")
	f.Var(&postLogout, "post-logout-uri", "allowed post-logout redirect URI (repeat for several)")
	f.Var(&scopes, "scopes", "extra scopes the client may ask for, beyond openid profile email groups offline_access")
	f.Var(&groups, "group", "only members of these groups may sign in (repeat for several)")
	f.Var(&grants, "grant-types", "authorization_code, refresh_token, client_credentials (default: the first two)")
	public := f.Bool("public", false, "a public client (native or browser app without a secret; PKCE required)")
	machine := f.Bool("machine", false, "a machine client: client_credentials only, no person signs in")
	service := f.String("service", "", "the service whose profiles the client sees (default: the client id)")
	backchannel := f.String("backchannel-logout-uri", "", "where to POST logout tokens when a session ends")
	alg := f.String("signing-alg", "RS256", "ID token signature: RS256, ES256 or EdDSA")
	tokenType := f.String("access-token-type", "", "opaque (default) or jwt (default for machine clients)")
	pkce := f.Bool("require-pkce", false, "require PKCE from a confidential client too")
	firstParty := f.Bool("first-party", false, "the hoster's own application: no consent page")
	return c.withOpenID(f, args, 1, "one client id", func(pos []string, st *openid.Store) error {
		cl := openid.Client{ID: pos[0], Service: *service, Public: *public, RedirectURIs: redirects, PostLogoutURIs: postLogout,
			BackchannelLogoutURI: *backchannel, GrantTypes: grants, ExtraScopes: scopes, SigningAlg: *alg,
			AccessTokenType: *tokenType, RequirePKCE: *pkce, FirstParty: *firstParty, Groups: groups}
		if *machine {
			cl.GrantTypes = []string{openid.GrantClientCredentials}
		}
		if !create {
			return c.clientUpdate(st, cl, f)
		}
		cl, secret, err := st.CreateClientWithService(c.ctx, cl)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(toJSON(cl, secret))
		}
		if secret == "" {
			fmt.Fprintf(c.stdout, "client_id: %s (public: no secret; PKCE with S256 required)\n", cl.ID)
			return nil
		}
		return c.printSecret(false, cl.ID, secret)
	})
}

// clientUpdate applies set: flags given replace the stored values, the
// others keep theirs.
func (c *cli) clientUpdate(st *openid.Store, in openid.Client, f *flags) error {
	cl, err := st.Client(c.ctx, in.ID)
	if err != nil {
		return err
	}
	f.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "redirect-uri":
			cl.RedirectURIs = in.RedirectURIs
		case "post-logout-uri":
			cl.PostLogoutURIs = in.PostLogoutURIs
		case "scopes":
			cl.ExtraScopes = in.ExtraScopes
		case "group":
			cl.Groups = in.Groups
		case "grant-types", "machine":
			cl.GrantTypes = in.GrantTypes
		case "service":
			cl.Service = in.Service
		case "backchannel-logout-uri":
			cl.BackchannelLogoutURI = in.BackchannelLogoutURI
		case "signing-alg":
			cl.SigningAlg = in.SigningAlg
		case "access-token-type":
			cl.AccessTokenType = in.AccessTokenType
		case "require-pkce":
			cl.RequirePKCE = in.RequirePKCE
		case "first-party":
			cl.FirstParty = in.FirstParty
		}
	})
	cl, err = st.UpdateClient(c.ctx, cl)
	if err != nil {
		return err
	}
	if *f.json {
		return c.printJSON(toJSON(cl, ""))
	}
	fmt.Fprintf(c.stdout, "client %s updated\n", cl.ID)
	return nil
}

func (c *cli) clientList(args []string) error {
	f := c.flags("client list", true)
	return c.withOpenID(f, args, 0, "no argument", func(_ []string, st *openid.Store) error {
		list, err := st.Clients(c.ctx)
		if err != nil {
			return err
		}
		if *f.json {
			out := make([]clientJSON, len(list))
			for i, cl := range list {
				out[i] = toJSON(cl, "")
			}
			return c.printJSON(out)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CLIENT\tSERVICE\tTYPE\tALG\tREDIRECT URIS")
		for _, cl := range list {
			kind := "confidential"
			switch {
			case cl.Public:
				kind = "public"
			case cl.Machine():
				kind = "machine"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cl.ID, cl.Service, kind, cl.SigningAlg, strings.Join(cl.RedirectURIs, " "))
		}
		return tw.Flush()
	})
}

func (c *cli) clientShow(args []string) error {
	f := c.flags("client show", true)
	return c.withOpenID(f, args, 1, "one client id", func(pos []string, st *openid.Store) error {
		cl, err := st.Client(c.ctx, pos[0])
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(toJSON(cl, ""))
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		for _, row := range [][2]string{
			{"client_id", cl.ID}, {"service", cl.Service}, {"public", fmt.Sprint(cl.Public)},
			{"redirect_uris", strings.Join(cl.RedirectURIs, " ")}, {"post_logout_uris", strings.Join(cl.PostLogoutURIs, " ")},
			{"backchannel_logout_uri", cl.BackchannelLogoutURI}, {"grant_types", strings.Join(cl.GrantTypes, " ")},
			{"extra_scopes", strings.Join(cl.ExtraScopes, " ")}, {"signing_alg", cl.SigningAlg},
			{"access_token_type", cl.AccessTokenType}, {"require_pkce", fmt.Sprint(cl.RequirePKCE)},
			{"first_party", fmt.Sprint(cl.FirstParty)}, {"groups", strings.Join(cl.Groups, " ")},
			{"created", cl.CreatedAt.Format(time.RFC3339)},
		} {
			fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
		}
		return tw.Flush()
	})
}

func (c *cli) oidcKeys(args []string) error {
	f := c.flags("oidc keys", true)
	return c.withOpenID(f, args, 0, "no argument", func(_ []string, st *openid.Store) error {
		if err := st.MaintainKeys(c.ctx); err != nil {
			return err
		}
		keys, err := st.Keys(c.ctx)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(keys)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KID\tALG\tSIGNS FROM\tRETIRES\tUNPUBLISHED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Alg, k.ActiveFrom.Format(time.RFC3339), k.RetireAt.Format(time.RFC3339), k.ExpiresAt.Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

func (c *cli) oidcRotateKeys(args []string) error {
	f := c.flags("oidc rotate-keys", false)
	return c.withOpenID(f, args, 0, "no argument", func(_ []string, st *openid.Store) error {
		if err := st.RotateKeys(c.ctx); err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, "new signing keys active; the old ones stay published until the tokens they signed expire")
		return nil
	})
}
