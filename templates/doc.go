// Package templates will hold the sheet and label templates as embedded data
// files, with their loader and validation. Not built yet: it is issue 3.
package templates
