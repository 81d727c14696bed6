package vietqr_test

import (
	"errors"
	"fmt"

	"github.com/market4/market4/pkg/vietqr"
)

func ExampleEncode() {
	// NAPAS §6.1.3: a one-off payment of 180,000 đồng to a Sacombank
	// account. The Vietnamese purpose is transliterated to ASCII.
	s, err := vietqr.Encode(vietqr.Payload{
		Dynamic:       true,
		BIN:           "970403",
		AccountNumber: "0011012345678",
		Amount:        "180000",
		BillNumber:    "NPS6869",
		Purpose:       "thanh toán đơn hàng",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s)
	// Output:
	// 00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E
}

func ExampleEncode_error() {
	_, err := vietqr.Encode(vietqr.Payload{
		BIN:           "970403",
		AccountNumber: "0011012345678",
		Purpose:       "Thanh toán tiền hàng tháng bảy", // 30 bytes once transliterated
	})
	var e *vietqr.Error
	if errors.As(err, &e) {
		fmt.Println(e.Rule, e.Field, e.Tag)
	}
	// Output:
	// too_long purpose 62.08
}

func ExampleEncodeWith() {
	s, _ := vietqr.EncodeWith(vietqr.Payload{
		BIN:           "970403",
		AccountNumber: "0011012345678",
		Purpose:       "Thanh toán tiền hàng tháng bảy",
	}, vietqr.EncodeOptions{Truncate: true})
	p, _ := vietqr.Decode(s)
	fmt.Printf("%q\n", p.Purpose)
	// Output:
	// "Thanh toan tien hang than"
}

func ExampleDecode() {
	p, err := vietqr.Decode("00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C")
	if err != nil {
		fmt.Println(err)
		return
	}
	bank, _ := vietqr.LookupBank(p.BIN)
	fmt.Println("dynamic:", p.Dynamic)
	fmt.Println("bank:   ", bank.ShortName)
	fmt.Println("account:", p.AccountNumber)
	fmt.Println("service:", p.Service)
	fmt.Println("amount: ", p.Amount, p.Currency)
	fmt.Println("purpose:", p.Purpose)
	fmt.Println("crc:    ", p.CRC)
	// Output:
	// dynamic: true
	// bank:    VietinBank
	// account: 0011001932418
	// service: QRIBFTTA
	// amount:  120000 704
	// purpose: ung ho lu lut
	// crc:     C15C
}

func ExampleDecode_error() {
	// The NAPAS §6.1.1 example as printed: 38.01.01 says 12 bytes for a
	// 13-digit account, so one byte of template 38.01 is left over.
	_, err := vietqr.Decode("00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304F4E5")
	var e *vietqr.Error
	if errors.As(err, &e) {
		fmt.Println(e.Rule, e.Tag, e.Offset)
	}
	fmt.Println(err)
	// Output:
	// template_overrun 38.01 60
	// vietqr: template_overrun (tag 38.01, offset 60): 1 stray byte(s) at the end of template 38.01, too few for a data object; a length before them is probably wrong
}

func ExampleASCII() {
	fmt.Println(vietqr.ASCII("ĐẶNG Thị Hồng – Phở bò 🍜"))
	// Output:
	// DANG Thi Hong  Pho bo
}

func ExampleLookupBank() {
	b, ok := vietqr.LookupBank("970436")
	fmt.Println(ok, b.ShortName, b.SWIFT)
	// Output:
	// true Vietcombank BFTVVNVX
}

func ExampleBankByShortName() {
	b, _ := vietqr.BankByShortName("mbbank")
	fmt.Println(b.BIN, b.Name)
	// Output:
	// 970422 Ngân hàng TMCP Quân đội
}

func ExamplePNG() {
	payload, _ := vietqr.Encode(vietqr.Payload{BIN: "970436", AccountNumber: "0011012345678"})
	png, err := vietqr.PNG(payload, 512)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(png[1:4]))
	// Output:
	// PNG
}
