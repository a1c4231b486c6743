package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// readValuesFile reads a values file as Helm does: YAML through JSON, so numbers become float64.
func readValuesFile(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	values := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &values); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return values, nil
}

// applySet applies one `--set key=value[,key=value]` argument as Helm's strvals parser does for the forms charts
// use: dotted keys (a `\.` keeps a dot in a key), list items `key[N]`, and scalars typed as Helm types them
// (true/false, null, integers without a leading zero; anything else, floats included, stays a string).
func applySet(values map[string]interface{}, argument string, asJSON bool) error {
	pairs := []string{argument}
	if !asJSON {
		pairs = splitUnescaped(argument, ',')
	}
	for _, pair := range pairs {
		eq := strings.IndexByte(pair, '=')
		if eq <= 0 {
			return fmt.Errorf("--set %q: expected key=value", pair)
		}
		key, raw := pair[:eq], pair[eq+1:]
		var value interface{}
		if asJSON {
			if err := json.Unmarshal([]byte(raw), &value); err != nil {
				return fmt.Errorf("--set-json %s: %v", key, err)
			}
		} else {
			value = typedScalar(strings.ReplaceAll(raw, `\,`, ","))
		}
		if err := setPath(values, splitUnescaped(key, '.'), value); err != nil {
			return fmt.Errorf("--set %s: %v", key, err)
		}
	}
	return nil
}

func typedScalar(raw string) interface{} {
	switch raw {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	case "0":
		return int64(0)
	}
	if !strings.HasPrefix(raw, "0") {
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return n
		}
	}
	return raw
}

func setPath(values map[string]interface{}, path []string, value interface{}) error {
	head := strings.ReplaceAll(path[0], `\.`, ".")
	index := -1
	if open := strings.IndexByte(head, '['); open > 0 && strings.HasSuffix(head, "]") {
		n, err := strconv.Atoi(head[open+1 : len(head)-1])
		if err != nil || n < 0 {
			return fmt.Errorf("bad list index in %q", head)
		}
		head, index = head[:open], n
	}
	if index < 0 {
		if len(path) == 1 {
			if value == nil {
				delete(values, head)
			} else {
				values[head] = value
			}
			return nil
		}
		child, ok := values[head].(map[string]interface{})
		if !ok {
			child = map[string]interface{}{}
			values[head] = child
		}
		return setPath(child, path[1:], value)
	}
	list, _ := values[head].([]interface{})
	for len(list) <= index {
		list = append(list, nil)
	}
	values[head] = list
	if len(path) == 1 {
		list[index] = value
		return nil
	}
	child, ok := list[index].(map[string]interface{})
	if !ok {
		child = map[string]interface{}{}
		list[index] = child
	}
	return setPath(child, path[1:], value)
}

// coalesce deep-merges override into base (maps merge key by key, anything else replaces; null deletes).
func coalesce(base, override map[string]interface{}) {
	for key, value := range override {
		if value == nil {
			delete(base, key)
			continue
		}
		if overrideMap, ok := value.(map[string]interface{}); ok {
			if baseMap, ok := base[key].(map[string]interface{}); ok {
				coalesce(baseMap, overrideMap)
				continue
			}
		}
		base[key] = value
	}
}

func splitUnescaped(text string, separator byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(text); i++ {
		if text[i] == '\\' {
			i++
			continue
		}
		if text[i] == separator {
			parts = append(parts, text[start:i])
			start = i + 1
		}
	}
	return append(parts, text[start:])
}
