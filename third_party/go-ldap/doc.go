/*
Package ldap provides basic LDAP v3 functionality.
*/
package ldap
