package sesame

import (
	"fmt"
	"reflect"
)

// Decode copies a value as Call returns it into out, a pointer to a Go value of matching
// shape: records into structs whose fields carry `wit:"field-name"` tags (record fields
// without a tagged struct field are skipped), lists into slices, options into pointers (nil
// for none), numbers into any integer or float type they fit, strings and enum cases into
// strings, a variant case without payload into its name, and anything into an `any`. A value
// that does not fit is an error naming where, never a panic.
func Decode(value any, out any) error {
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("sesame: Decode needs a non-nil pointer, got %T", out)
	}
	return decode(value, rv.Elem(), "value")
}

func decode(value any, out reflect.Value, path string) error {
	if out.Kind() == reflect.Pointer {
		if value == nil {
			out.Set(reflect.Zero(out.Type()))
			return nil
		}
		target := reflect.New(out.Type().Elem())
		if err := decode(value, target.Elem(), path); err != nil {
			return err
		}
		out.Set(target)
		return nil
	}
	if out.Kind() == reflect.Interface && out.NumMethod() == 0 {
		if value != nil {
			out.Set(reflect.ValueOf(value))
		}
		return nil
	}
	fail := func() error {
		return fmt.Errorf("sesame: cannot decode %T into %s at %s", value, out.Type(), path)
	}
	switch out.Kind() {
	case reflect.Struct:
		m, ok := value.(map[string]any)
		if !ok {
			return fail()
		}
		for i := 0; i < out.NumField(); i++ {
			name, tagged := out.Type().Field(i).Tag.Lookup("wit")
			if !tagged {
				continue
			}
			if err := decode(m[name], out.Field(i), path+"."+name); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if b, ok := value.([]byte); ok && out.Type().Elem().Kind() == reflect.Uint8 {
			out.SetBytes(append([]byte(nil), b...))
			return nil
		}
		items, ok := value.([]any)
		if !ok {
			return fail()
		}
		s := reflect.MakeSlice(out.Type(), len(items), len(items))
		for i, item := range items {
			if err := decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		out.Set(s)
	case reflect.String:
		switch v := value.(type) {
		case string:
			out.SetString(v)
		case Variant:
			if v.Value != nil {
				return fail()
			}
			out.SetString(v.Case)
		default:
			return fail()
		}
	case reflect.Bool:
		b, ok := value.(bool)
		if !ok {
			return fail()
		}
		out.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := signed(value, uint(out.Type().Bits()))
		if !ok {
			return fail()
		}
		out.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := unsigned(value, uint(out.Type().Bits()))
		if !ok {
			return fail()
		}
		out.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, ok := value.(float64)
		if !ok {
			return fail()
		}
		out.SetFloat(f)
	default:
		return fail()
	}
	return nil
}
